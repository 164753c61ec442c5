"""`/rota group` and `/rota topic`: where else the rota shows who is on support."""

from __future__ import annotations

from bot.rota.parse import Command
from bot.rota.request import REFUSED, Outcome, RotaRequest, channel_rota, may_change
from bot.rota.surfaces import group_problem
from bot.store import rota_cover as surfaces_store


def group(request: RotaRequest, command: Command) -> Outcome:
    rota = channel_rota(request)
    if not may_change(request, rota):
        return Outcome(REFUSED)
    assert rota.id is not None
    surface = surfaces_store.surface_of(session=request.session, rota_id=rota.id)
    if command.words == ("off",):
        handle = surface.usergroup_handle
        if surface.usergroup_id is None:
            return Outcome("This rota has no user group linked; nothing changed.")
        surface.usergroup_id = surface.usergroup_handle = surface.group_holds = None
        surface.told_managed = surface.told_nobody = False
        request.session.add(surface)
        request.audit(rota, "rota.group.off", handle=handle)
        return Outcome(
            f"Unlinked @{handle}: Rotabot no longer changes its members (they stay as they are)."
        )
    lookup = request.group
    if lookup is not None and lookup.refused:
        return Outcome(group_problem(lookup.refused))
    if lookup is None or lookup.group_id is None:
        named = command.words[-1] or command.words[0]
        return Outcome(
            f"Slack has no user group @{named.lstrip('@')} in this workspace. Create it first "
            "(People → User groups in Slack), then pick it from the @ menu: `/rota group @support`."
        )
    surface.usergroup_id, surface.usergroup_handle = lookup.group_id, lookup.handle
    surface.group_holds = None
    surface.told_managed = surface.told_nobody = False
    request.session.add(surface)
    request.audit(rota, "rota.group", group=lookup.group_id, handle=lookup.handle)
    return Outcome(
        f"Linked @{lookup.handle}: from now on it holds whoever is on support in "
        f"<#{rota.channel_id}>, changed at 09:00 on each week's first working day and at once "
        "when a swap, cover or absence changes who is on. Edits by hand are put back.",
        surfaces=rota.id,
    )


def topic(request: RotaRequest, command: Command) -> Outcome:
    rota = channel_rota(request)
    if not may_change(request, rota):
        return Outcome(REFUSED)
    assert rota.id is not None
    surface = surfaces_store.surface_of(session=request.session, rota_id=rota.id)
    on = command.words[0].lower() == "on"
    surface.topic_on = on
    request.session.add(surface)
    request.audit(rota, "rota.topic", on=on)
    if on:
        return Outcome(
            f"The topic of <#{rota.channel_id}> now has a line saying who is on support "
            '("On support: @name until Fri 4 Dec"); the rest of the topic stays yours.',
            surfaces=rota.id,
        )
    return Outcome(
        f'Took the "On support" line out of the topic of <#{rota.channel_id}>; '
        "the rest stays as it is.",
        topic_removed=rota.channel_id,
    )
