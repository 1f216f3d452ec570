""""Ask a person": the button opens the confirmation modal; submitting it hands the question
over. Nothing leaves before the asker presses Send, and what leaves is the redacted text
they saw and could edit, anonymous unless they chose to be named. `ack()` first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.experts import route_for
from bot.log.database import DatabaseDown
from bot.log.redaction import personal_traces, redact
from bot.slack import values as v
from bot.slack.expert_blocks import (
    NOBODY,
    NOT_SAVED,
    QUESTION_BLOCK,
    SAVED_NOT_SENT,
    SENT,
    ask_person_modal,
    read_request,
    route_label,
)
from bot.slack.expert_relay import hand_over
from bot.slack.listeners.shared import Respond, teller, telling_user, user_of, workspace_of
from bot.slack.services import Services
from bot.slack.web import slack_call


def on_ask_person(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                  client: WebClient, respond: Respond, logger: logging.Logger,
                  services: Services) -> None:
    """Open the confirmation modal, prefilled with the question as it would be shared."""
    ack()
    data = v.unpack(action.get("value"))
    tell = teller(body, client, respond, logger)
    entry = services.advisor.kb.entries_by_id.get(str(data.get("e") or ""))
    route = route_for(entry, experts_channel=services.settings.advisor_experts_channel)
    if route is None:
        tell(NOBODY)
        return
    if not body.get("trigger_id"):
        return
    meta = v.pack(x=data.get("x"), e=entry.id if entry else None)
    slack_call(logger, "views.open", client.views_open, trigger_id=body["trigger_id"],
               view=ask_person_modal(redact(str(data.get("q") or "")), meta=meta,
                                     to=route_label(route.channel, dm=route.channel == route.owner)))


def on_ask_person_submitted(ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any],
                            client: WebClient, logger: logging.Logger,
                            services: Services) -> None:
    """Send was pressed: check the text, then save the request (with the workspace it was
    asked in) and post it for the experts with that workspace's `client`."""
    question, named = read_request(view)
    if not question:
        ack(response_action="errors", errors={QUESTION_BLOCK: "Write the question to ask."})
        return
    cleaned = redact(question)
    if cleaned != question:  # typed into the modal: what was shown is no longer what is sent
        found = "; ".join(personal_traces(cleaned)) or "personal data"
        ack(response_action="errors", errors={QUESTION_BLOCK: (
            f"This holds personal details ({found}). Take them out; nothing has been sent.")})
        return
    ack()
    user = user_of(body)
    meta = v.unpack(view.get("private_metadata"))

    def dm(text: str) -> Any:
        return slack_call(logger, "chat.postMessage", client.chat_postMessage, channel=user,
                          text=text)

    with telling_user(logger, "handing a question to a person", lambda: dm(NOT_SAVED)):
        kb = services.advisor.kb
        entry = kb.entries_by_id.get(str(meta.get("e") or ""))
        route = route_for(entry, experts_channel=services.settings.advisor_experts_channel)
        if route is None:
            dm(NOBODY)
            return
        team_id, enterprise_id = workspace_of(body)
        try:
            request = services.log.requests.save(
                surface="slack", question=question, user_id=user, named=named,
                exchange_id=str(meta["x"]) if meta.get("x") else None,
                entry_id=entry.id if entry else None, route=route.owner or route.channel,
                team_id=team_id, enterprise_id=enterprise_id)
            posted = hand_over(client, services.log, request, route, kb, logger)
        except DatabaseDown:
            dm(NOT_SAVED)
            return
        dm(SENT if posted else SAVED_NOT_SENT)


def register(app: App) -> None:
    app.action(v.ASK_PERSON)(on_ask_person)
    app.view(v.ASK_PERSON_VIEW)(on_ask_person_submitted)
