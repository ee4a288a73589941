// The conversation under an article, progressively enhanced.
// Without JavaScript the article links to the conversation's own page, where every
// form posts and comes back. With it:
// 1. The conversation loads into the article page from its own endpoint (the article
//    stays cacheable; the anonymous first page is cached briefly too).
// 2. Sort links, the Featured tab and "Load more" fetch fragments in place; load more
//    appends after what the reader has (keyset paging on the server).
// 3. Forms (post, reply, like, delete, follow, mute) are sent with fetch. The server answers 204 with
//    X-Comment-Id (the conversation is reloaded and focus goes to that comment), JSON
//    for a like, JSON for a follow or mute (the view is reloaded, focus kept on the
//    comment), or 4xx with the message to show beside the form (text kept).
// 4. "Reply" opens the reply form under its comment (the link is the no-JS fallback).
// 5. New comments since the page loaded are counted every 30 s, and a link in a slot
//    reserved from the start offers them (without a script, the link opens the newest
//    page). Clicking fetches only the new comments and slots each in where it belongs
//    (showNew), the view anchored so nothing the reader is reading moves, and the
//    status region announces how many arrived.
(() => {
  const root = document.querySelector("[data-conversation][data-src]");
  if (!root) return;
  const body = root.querySelector("[data-conversation-body]") || root;
  const POLL_MS = 30000;
  let pollTimer = null;

  const get = async (url) => {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "text/html", "X-Conversation": "fragment" },
    });
    if (!response.ok) throw new Error(String(response.status));
    return response.text();
  };

  const parse = (html) => {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    return holder;
  };

  const load = async (url, focusId) => {
    try {
      body.innerHTML = (await get(url)).trim();
    } catch (error) {
      return; // the link to the conversation's page stays in place
    }
    root.dataset.current = url;
    startPolling();
    if (focusId) {
      const target = document.getElementById(`comment-${focusId}`);
      if (target) {
        target.setAttribute("tabindex", "-1");
        target.focus({ preventScroll: true });
        target.scrollIntoView({ block: "center" });
      }
    }
  };

  const say = (form, message) => {
    let box = form.querySelector("[data-form-message]");
    if (!box) {
      box = document.createElement("p");
      box.className = "comment-form__message";
      box.setAttribute("role", "alert");
      box.dataset.formMessage = "";
      form.prepend(box);
    }
    box.textContent = message;
    box.setAttribute("tabindex", "-1");
    box.focus();
  };

  const submit = async (form) => {
    const button = form.querySelector("[type=submit]");
    if (button) button.setAttribute("aria-disabled", "true");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json, text/html", "X-Conversation": "fragment" },
      });
    } catch (error) {
      say(form, root.dataset.offline || "");
      return;
    } finally {
      if (button) button.removeAttribute("aria-disabled");
    }
    const type = response.headers.get("Content-Type") || "";
    if (response.status === 204) {
      const id = response.headers.get("X-Comment-Id");
      const note = response.headers.get("X-Comment-Note");
      await load(root.dataset.current || root.dataset.src, id);
      if (note) {
        const status = body.querySelector("[data-conversation-status]");
        if (status) status.textContent = decodeURIComponent(note);
      }
      return;
    }
    if (response.ok && type.includes("application/json")) {
      const data = await response.json();
      if (form.hasAttribute("data-relation")) {
        // Follow or mute: every comment by that reader changes, so reload this view and
        // come back to the comment the reader acted from, saying what happened.
        const comment = form.closest("[data-comment]");
        await load(root.dataset.current || root.dataset.src, comment && comment.dataset.comment);
        const status = body.querySelector("[data-conversation-status]");
        if (status && data.message) status.textContent = data.message;
        return;
      }
      const like = form.querySelector("[data-like-button]");
      if (like && "liked" in data) {
        like.setAttribute("aria-pressed", data.liked ? "true" : "false");
        const count = form.querySelector("[data-like-count]");
        if (count) count.textContent = String(data.count);
        const next = form.querySelector("input[name=action]");
        if (next) next.value = data.liked ? "unlike" : "like";
      }
      return;
    }
    let message = "";
    if (type.includes("application/json")) {
      message = (await response.json()).message || "";
    } else {
      const fresh = parse(await response.text()).querySelector("[data-error-text]");
      message = fresh ? fresh.textContent.trim() : "";
    }
    say(form, message || root.dataset.failed || "");
  };

  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-comment-action]");
    if (!form) return;
    event.preventDefault();
    submit(form);
  });

  root.addEventListener("click", (event) => {
    const nav = event.target.closest("a[data-fragment]");
    if (nav) {
      event.preventDefault();
      if (nav.hasAttribute("data-load-more")) {
        loadMore(nav);
      } else {
        load(nav.dataset.fragment).then(() => {
          const first = body.querySelector("[data-conversation-tabs] [aria-current]");
          if (first) first.focus();
        });
      }
      return;
    }
    const reply = event.target.closest("a[data-reply]");
    if (reply) {
      event.preventDefault();
      openReply(reply);
      return;
    }
    const fresh = event.target.closest("[data-new-comments] a[data-new-link]");
    if (fresh) {
      event.preventDefault();
      showNew(fresh);
    }
  });

  const loadMore = async (link) => {
    let html;
    try {
      html = await get(link.dataset.fragment);
    } catch (error) {
      return;
    }
    const holder = parse(html);
    const list = body.querySelector("[data-thread-list]");
    const more = holder.querySelectorAll("[data-thread-list] > li");
    const firstNew = more[0];
    more.forEach((item) => list.append(item));
    const nextLink = holder.querySelector("[data-load-more]");
    const wrapper = link.closest("[data-load-more-wrapper]") || link;
    if (nextLink) link.replaceWith(nextLink);
    else wrapper.remove();
    if (firstNew) {
      const article = firstNew.querySelector("article");
      if (article) {
        article.setAttribute("tabindex", "-1");
        article.focus({ preventScroll: true });
      }
    }
  };

  const openReply = (link) => {
    const template = body.querySelector("template[data-reply-template]");
    const comment = link.closest("[data-comment]");
    if (!template || !comment) {
      window.location.assign(link.href);
      return;
    }
    const open = comment.querySelector(":scope > [data-reply-slot] form");
    if (open) {
      open.querySelector("textarea").focus();
      return;
    }
    const slot = comment.querySelector(":scope > [data-reply-slot]");
    const form = template.content.firstElementChild.cloneNode(true);
    form.action = link.dataset.action;
    const id = `reply-${comment.dataset.comment}`;
    const textarea = form.querySelector("textarea");
    const label = form.querySelector("label[for='reply-new']");
    textarea.id = id;
    if (label) label.htmlFor = id;
    const name = form.querySelector("[data-reply-name]");
    const nameLabel = form.querySelector("label[for='reply-name']");
    if (name) name.id = `${id}-name`;
    if (nameLabel) nameLabel.htmlFor = `${id}-name`;
    const parent = form.querySelector("input[name=parent]");
    if (parent) parent.value = comment.dataset.comment;
    const cancel = form.querySelector("[data-cancel-reply]");
    if (cancel)
      cancel.addEventListener("click", () => {
        form.remove();
        link.focus();
      });
    slot.append(form);
    (name || textarea).focus();
  };

  // Where a new comment goes: under the comment it is listed under (its replies list,
  // made when it has none), or for a new thread at the top of a newest-first list, at
  // the end of an oldest-first or most-liked one when no later page is left to load.
  // Anything with no place here (a thread not on the page, the Featured tab) is left
  // to the next full load; the count above says it exists.
  const place = (item, sort) => {
    const id = item.querySelector("[data-comment]")?.dataset.comment;
    if (!id || document.getElementById(`comment-${id}`)) return false; // shown already
    const under = item.dataset.place;
    if (under) {
      const holder = document.getElementById(`comment-${under}`);
      if (!holder) return false;
      let list = holder.querySelector(":scope > ol");
      if (!list) {
        list = document.createElement("ol");
        holder.querySelector(":scope > [data-reply-slot]").after(list);
      }
      list.append(item);
      return true;
    }
    let threads = body.querySelector("[data-thread-list]");
    if (!threads) {
      const empty = body.querySelector(".empty");
      if (!empty || sort === "featured") return false;
      threads = document.createElement("ol");
      threads.className = "comments";
      threads.dataset.threadList = "";
      empty.replaceWith(threads);
    }
    if (sort === "newest") threads.prepend(item);
    else if (sort !== "featured" && !body.querySelector("[data-load-more]")) threads.append(item);
    else return false;
    return true;
  };

  // "N new comments": fetch just those and slot each in where it belongs. The link
  // (kept where it is) anchors the view: whatever is inserted above the reader, the
  // page scrolls by as much, so the text they are reading never moves.
  const showNew = async (link) => {
    const slot = link.closest("[data-new-comments]");
    const since = new URL(slot.dataset.countSrc, window.location.href).searchParams.get("since");
    let html;
    try {
      html = await get(`${slot.dataset.src}?since=${encodeURIComponent(since)}`);
    } catch (error) {
      window.location.assign(link.href);
      return;
    }
    const batch = parse(html).querySelector("[data-new-batch]");
    if (!batch) return;
    if (batch.hasAttribute("data-more")) {
      await load(root.dataset.src); // a flood: the newest page, fresh
      return;
    }
    const before = slot.getBoundingClientRect().top;
    const sort = slot.dataset.sort || "newest";
    let first = null;
    batch.querySelectorAll(":scope > ol > li").forEach((item) => {
      if (place(item, sort) && !first) first = item.querySelector("article");
    });
    const count = body.querySelector("[data-comment-count]");
    const freshCount = batch.querySelector("[data-comment-count]");
    if (count && freshCount) count.textContent = freshCount.textContent;
    slot.dataset.countSrc = batch.dataset.countSrc;
    slot.classList.remove("is-shown");
    const status = body.querySelector("[data-conversation-status]");
    if (status) status.textContent = batch.dataset.announce || "";
    window.scrollBy(0, slot.getBoundingClientRect().top - before);
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: true });
    }
    startPolling();
  };

  const startPolling = () => {
    const counter = body.querySelector("[data-new-comments][data-count-src]");
    if (pollTimer) window.clearInterval(pollTimer);
    if (!counter) return;
    pollTimer = window.setInterval(async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(counter.dataset.countSrc, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        const data = await response.json();
        if (data.count > 0) {
          counter.querySelector("a[data-new-link]").textContent = data.label;
          counter.classList.add("is-shown");
        }
      } catch (error) {
        // Offline for now: try again on the next tick.
      }
    }, POLL_MS);
  };

  load(root.dataset.src);
})();
