// Replace a video's link with the player only when the reader asks for it:
// no third-party request is made until then.
document.addEventListener("click", (event) => {
  const facade = event.target.closest(".video__facade[data-embed]");
  if (!facade) return;
  event.preventDefault();
  const frame = document.createElement("iframe");
  frame.src = facade.dataset.embed + "?autoplay=1";
  frame.title = facade.textContent.trim();
  frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
  frame.loading = "lazy";
  facade.replaceWith(frame);
});
