from bot.blocks.kit import actions, button, context, divider, escape, header, link, section
from bot.blocks.text import blocks_as_text


def test_blocks_read_as_text_with_buttons_in_brackets() -> None:
    blocks = [
        header("Handover"),
        section("*Open tickets*", accessory=button("I'll take it", action_id="a", value="1")),
        divider(),
        context("Before you go"),
        actions(button("Done", action_id="d"), button("New time…", action_id="n")),
    ]
    assert blocks_as_text(blocks) == (
        "Handover\n*Open tickets*  [I'll take it]\n—\nBefore you go\n[Done]  [New time…]"
    )


def test_mrkdwn_control_characters_are_escaped_in_links() -> None:
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert link("https://x.test/1", "R&D <urgent>") == "<https://x.test/1|R&amp;D &lt;urgent&gt;>"


def test_long_section_text_is_cut_to_slacks_limit() -> None:
    text = section("x" * 5000)["text"]["text"]
    assert len(text) == 3000 and text.endswith("…")
