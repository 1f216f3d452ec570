"""Pydantic models of the few fields of Slack's payloads that Bolt and the listeners read.

Two checks at the edge, so a listener never meets a field of the wrong kind:

- `envelope_problem` (the request gate, 400): the containers Bolt itself navigates (`event`,
  `actions`, `user`, `view`, …) are JSON objects and lists, as Slack sends them;
- `check_payloads` (a global Bolt middleware): the fields each listener uses. A payload that
  cannot be answered (an event without channel or ts, a click without a user) is ignored with
  a 200 and one log line naming the fields, never their values; a command gets a short
  reply. What can be answered is, after normalising: a text that is null, a number or a list
  is read as no text (so the user gets help), a missing container as an empty one, and
  `respond` is None where there is no `response_url` (Bolt's own would raise).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from slack_bolt.request import BoltRequest
from slack_bolt.request.payload_utils import (
    is_block_actions,
    is_message_shortcut,
    is_slash_command,
    is_view_submission,
)
from slack_bolt.response import BoltResponse

UNREADABLE_COMMAND = "Sorry, I couldn't read that command. Please try again."


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _empty_if_none(value: Any) -> Any:
    return {} if value is None else value


Text = Annotated[str, BeforeValidator(_text)]
"""A message or command text: anything but a string reads as no text."""
Ts = Annotated[str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,9})?$")]
"""A Slack timestamp, such as `1700000000.000100`."""
Id = Annotated[str, Field(min_length=1, max_length=255)]
NullAsEmpty = BeforeValidator(_empty_if_none)
"""A nested object that may be missing or null: read as an empty one."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- the envelope (request gate) ------------------------------------------------------------


class _EnvelopeEvent(_Model):
    type: str


class Envelope(_Model):
    """What Bolt reads while routing: each container is the JSON kind Slack sends."""

    type: str | None = None
    event: _EnvelopeEvent | None = None
    actions: list[dict[str, Any]] | None = None
    user: dict[str, Any] | str | None = None
    team: dict[str, Any] | str | None = None
    channel: dict[str, Any] | str | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    enterprise: dict[str, Any] | str | None = None
    authorizations: list[dict[str, Any]] | None = None
    command: str | None = None


def envelope_problem(body: dict[str, Any]) -> str | None:
    """None for a well-formed envelope; otherwise which fields are wrong (no values)."""
    try:
        Envelope.model_validate(body)
    except ValidationError as exc:
        return fields_of(exc)
    return None


# -- what the listeners read (middleware) ---------------------------------------------------


class MessageEvent(_Model):
    """`app_mention` and `message.*` (messages.py)."""

    channel: Id
    ts: Ts
    thread_ts: Ts | None = None
    user: str | None = None
    text: Text = ""
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None


class HomeOpenedEvent(_Model):
    """`app_home_opened` (home.py)."""

    user: str | None = None
    tab: str | None = None


class _AssistantThread(_Model):
    channel_id: Id
    thread_ts: Ts
    context: Annotated[dict[str, Any], NullAsEmpty] = Field(default_factory=dict)


class AssistantThreadEvent(_Model):
    """`assistant_thread_started` / `_context_changed` (the agent view, assistant.py)."""

    assistant_thread: _AssistantThread


class SlashCommand(_Model):
    """`/advisor …` (commands.py, admin.py); without `response_url` it is answered in the ack."""

    user_id: Id
    text: Text = ""
    channel_id: str = ""
    team_id: str | None = None
    response_url: str | None = None


class _User(_Model):
    id: Id


class _Channel(_Model):
    id: str = ""


class _Container(_Model):
    channel_id: str | None = None
    thread_ts: Ts | None = None
    is_ephemeral: bool = False


class _Message(_Model):
    thread_ts: Ts | None = None


class _View(_Model):
    type: str | None = None


class _Action(_Model):
    action_id: Id
    value: str | None = None
    block_id: str = ""
    selected_options: list[dict[str, Any]] | None = None


class BlockActions(_Model):
    """Buttons and checkboxes (actions.py, admin.py, gaps.py)."""

    user: _User
    channel: Annotated[_Channel, NullAsEmpty] = Field(default_factory=_Channel)
    container: Annotated[_Container, NullAsEmpty] = Field(default_factory=_Container)
    message: Annotated[_Message, NullAsEmpty] = Field(default_factory=_Message)
    view: Annotated[_View, NullAsEmpty] = Field(default_factory=_View)
    trigger_id: str | None = None
    response_url: str | None = None
    actions: list[_Action] = Field(min_length=1)


class _ShortcutMessage(_Model):
    ts: Ts
    thread_ts: Ts | None = None
    text: Text = ""


class MessageShortcut(_Model):
    """"Ask the advisor about this" on a message (shortcuts.py)."""

    user: _User
    channel: _User
    message: _ShortcutMessage
    team: Annotated[dict[str, Any], NullAsEmpty] = Field(default_factory=dict)
    callback_id: str = ""
    response_url: str | None = None


class _State(_Model):
    values: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)


class _SubmittedView(_Model):
    id: Id
    callback_id: str = ""
    private_metadata: str = ""
    state: Annotated[_State, NullAsEmpty] = Field(default_factory=_State)


class ViewSubmission(_Model):
    """The curation modals (gaps.py)."""

    user: _User
    view: _SubmittedView


def check_payloads() -> Callable[..., Any]:
    """A global Bolt middleware: validate and normalise, or answer/ignore what cannot be read."""

    def check(req: BoltRequest, logger: logging.Logger, next: Callable[[], Any]) -> Any:
        if req.context.response_url is None:  # Bolt's `respond` would raise: listeners see None
            req.context["respond"] = None
        body = req.body
        kind, model, target = _model_for(body)
        if model is None:
            return next()
        try:
            valid = model.model_validate(target)
        except ValidationError as exc:
            logger.info("ignored a malformed %s: %s", kind, fields_of(exc))
            if kind == "slash command":
                return BoltResponse(status=200, body={"response_type": "ephemeral",
                                                      "text": UNREADABLE_COMMAND})
            return BoltResponse(status=200, body="")
        target.update(valid.model_dump(exclude_unset=True))
        return next()

    return check


def _model_for(body: dict[str, Any]) -> tuple[str, type[_Model] | None, dict[str, Any]]:
    event = body.get("event") if body.get("type") == "event_callback" else None
    if isinstance(event, dict):
        kind = str(event.get("type"))
        if kind in ("app_mention", "message"):
            return f"{kind} event", MessageEvent, event
        if kind == "app_home_opened":
            return f"{kind} event", HomeOpenedEvent, event
        if kind in ("assistant_thread_started", "assistant_thread_context_changed"):
            return f"{kind} event", AssistantThreadEvent, event
        return kind, None, body
    if is_slash_command(body):
        return "slash command", SlashCommand, body
    if is_block_actions(body):
        return "block_actions", BlockActions, body
    if is_view_submission(body):
        return "view_submission", ViewSubmission, body
    if is_message_shortcut(body):
        return "message shortcut", MessageShortcut, body
    return "request", None, body


def fields_of(exc: ValidationError) -> str:
    """`event.channel: Field required; …`: where and what, never the input."""
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)]
    return "; ".join(problems[:5])
