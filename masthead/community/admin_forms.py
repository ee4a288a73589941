"""The moderation queue's forms: what a moderator may submit, with a message for each
mistake. The services check the rules again; these forms only give the admin pages
field-by-field errors before a service is asked. Fields that several forms share (the
moderators' note, the rejection reason and explanation) are made by one function each,
and the actions offered come from the services' tables (decisions.COMMENT_ACTIONS,
decisions.READER_ACTIONS), so a form never offers what the services do not do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from masthead.core.numbers import parse_id

from .services.decisions import (
    BULK_ACTIONS,
    MAX_BULK,
    MAX_NOTE,
    MAX_REASON,
    MAX_SUSPENSION_DAYS,
    READER_ACTIONS,
    READER_ACTIONS_TOLD_WHY,
    REJECTION_REASONS,
)

NOTE_HELP = _("Only moderators see this note, in the audit log.")


def _reason_choices() -> list[tuple[str, Any]]:
    return [("", _("Choose a reason")), *REJECTION_REASONS.items()]


def _note_field() -> forms.CharField:
    """The moderators' own note, kept in the audit log (every decision form has one)."""
    return forms.CharField(
        label=_("Note for moderators (optional)"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=NOTE_HELP,
    )


def _rejection_reason_field(label: Any, **options: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=_reason_choices, **options)


def _explanation_field(label: Any, **options: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=MAX_REASON, **options)


class RejectForm(forms.Form):
    reason = _rejection_reason_field(
        _("Why is it rejected?"),
        error_messages={"required": _("Choose why the comment is rejected.")},
    )
    explanation = _explanation_field(
        _("Explanation for the author (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the author after the reason you chose."),
    )
    note = _note_field()


class NoteOnlyForm(forms.Form):
    note = _note_field()


class BulkForm(forms.Form):
    """The action chosen above the list, applied to the ticked comments."""

    action = forms.ChoiceField(
        label=_("With the selected comments"),
        choices=[
            ("", _("Choose an action")),
            ("approve", _("Approve")),
            ("reject", _("Reject")),
            ("feature", _("Feature")),
            ("unfeature", _("Stop featuring")),
        ],
        error_messages={"required": _("Choose what to do with the selected comments.")},
    )
    reason = _rejection_reason_field(_("Reason, when rejecting"), required=False)
    explanation = _explanation_field(_("Explanation for the authors, when rejecting (optional)"))

    def __init__(self, *args: Any, comment_ids: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.raw_ids = comment_ids or []

    def clean_action(self) -> str:
        action = self.cleaned_data["action"]
        assert action in BULK_ACTIONS  # the choices allow nothing else
        return action

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        ids = [parse_id(raw) for raw in self.raw_ids]
        if any(pk is None for pk in ids):
            raise forms.ValidationError(_("The selection holds something that is not a comment."))
        if not ids:
            raise forms.ValidationError(_("Select at least one comment."))
        if len(set(ids)) > MAX_BULK:
            raise forms.ValidationError(
                _("Select at most %(limit)d comments at a time."), params={"limit": MAX_BULK}
            )
        cleaned["comment_ids"] = ids
        if cleaned.get("action") == "reject" and not cleaned.get("reason"):
            self.add_error("reason", _("Choose why the comments are rejected."))
        return cleaned


class ReaderActionForm(forms.Form):
    """A decision about a reader; which fields matter depends on `action`."""

    ACTIONS = tuple(READER_ACTIONS)

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason (the reader is told)"),
        required=False,
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    days = forms.IntegerField(
        label=_("Days"),
        required=False,
        min_value=1,
        max_value=MAX_SUSPENSION_DAYS,
        error_messages={
            "min_value": _("Suspend for at least 1 day."),
            "max_value": _("Suspend for at most %(limit_value)s days."),
            "invalid": _("Enter the number of days as a whole number."),
        },
    )
    note = _note_field()
    reject_pending = forms.BooleanField(
        label=_("Also reject their comments waiting for a moderator"), required=False
    )
    notes = forms.CharField(
        label=_("Standing notes about this reader"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only moderators see these notes. Each change is kept in the audit log."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in READER_ACTIONS_TOLD_WHY and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Write the reason: the reader is told it."))
        if action == "suspend" and cleaned.get("days") is None and "days" not in self.errors:
            self.add_error("days", _("Enter for how many days to suspend the reader."))
        return cleaned


class CloseForm(forms.Form):
    note = _note_field()
