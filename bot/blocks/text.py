"""Block Kit rendered as plain text: for dry runs, logs and notification fallbacks."""

from __future__ import annotations

from typing import Any


def _element_text(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind in ("plain_text", "mrkdwn"):
        return str(element.get("text", ""))
    if kind == "button":
        return f"[{_element_text(element.get('text', {}))}]"
    if kind in ("static_select", "users_select", "datepicker", "timepicker"):
        placeholder = element.get("placeholder")
        return f"[{_element_text(placeholder) if placeholder else kind} ▾]"
    if kind == "image":
        return str(element.get("alt_text", ""))
    return ""


def blocks_as_text(blocks: list[dict[str, Any]]) -> str:
    """One line per block; buttons as [Label], so a dry run shows what a person could do."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "divider":
            lines.append("—")
        elif kind in ("section", "header"):
            parts = [_element_text(block["text"])] if "text" in block else []
            parts += [_element_text(field) for field in block.get("fields", [])]
            if "accessory" in block:
                parts.append(_element_text(block["accessory"]))
            lines.append("  ".join(part for part in parts if part))
        elif kind in ("context", "actions"):
            texts = (_element_text(element) for element in block.get("elements", []))
            lines.append("  ".join(text for text in texts if text))
    return "\n".join(line for line in lines if line)
