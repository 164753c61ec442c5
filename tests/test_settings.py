from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, load_settings, parse_settings


def test_defaults_need_nothing() -> None:
    settings = parse_settings({})
    assert settings == Settings()
    assert settings.database_url == "sqlite:///rotabot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.timezone == "Europe/London"
    assert settings.holidays == "GB-ENG"
    assert settings.port == 3000
    assert not settings.zendesk_enabled
    assert not settings.socket_mode


def test_full_environment_is_read() -> None:
    settings = parse_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "abc",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "DATABASE_URL": "postgres://u:p@db:5432/rota",
            "ZENDESK_URL": "https://acme.zendesk.com/",
            "ZENDESK_EMAIL": "bot@acme.test",
            "ZENDESK_API_TOKEN": "t",
            "ZENDESK_WEBHOOK_SECRET": "w",
            "ROTABOT_TIMEZONE": "America/New_York",
            "ROTABOT_HOLIDAYS": "US-NY",
            "PORT": "8080",
        }
    )
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/rota"
    assert settings.zendesk_url == "https://acme.zendesk.com"
    assert settings.socket_mode and settings.zendesk_enabled
    assert settings.port == 8080
    assert settings.calendar().tz.key == "America/New_York"


@pytest.mark.parametrize(
    ("environment", "named", "hint"),
    [
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN", "OAuth & Permissions"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN", "App-Level Tokens"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL", "http(s) URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL", "sqlite:///rotabot.db"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL", "does not support"),
        ({"ZENDESK_URL": "https://acme.zendesk.com"}, "ZENDESK_EMAIL", "API token"),
        (
            {"ZENDESK_URL": "https://a.zendesk.com", "ZENDESK_EMAIL": "a@b.c"},
            "ZENDESK_API_TOKEN",
            "Admin Center",
        ),
        (
            {
                "ZENDESK_URL": "https://a.zendesk.com",
                "ZENDESK_EMAIL": "bob",
                "ZENDESK_API_TOKEN": "t",
            },
            "ZENDESK_EMAIL",
            "email address",
        ),
        ({"ROTABOT_TIMEZONE": "Mars/Olympus"}, "ROTABOT_TIMEZONE", ""),
        ({"ROTABOT_HOLIDAYS": "XX"}, "ROTABOT_HOLIDAYS", ""),
        ({"PORT": "http"}, "PORT", "between 1 and 65535"),
        ({"PORT": "70000"}, "PORT", "between 1 and 65535"),
        ({"ROTABOT_TICKET_ACCESS": "everyone"}, "ROTABOT_TICKET_ACCESS", "members"),
        ({"ROTABOT_AUTHORISED_TAG": "may ask"}, "ROTABOT_AUTHORISED_TAG", "one word"),
        ({"ROTABOT_TIME_SPENT_FIELD": "Time spent"}, "ROTABOT_TIME_SPENT_FIELD", "Fields"),
    ],
)
def test_malformed_settings_name_the_variable_in_one_line(
    environment: dict[str, str], named: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(environment)
    message = str(raised.value)
    assert named in message
    assert hint in message
    assert "\n" not in message


def test_missing_slack_credentials_say_where_to_find_them() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set.*OAuth & Permissions"):
        Settings().require_slack(http=True)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET.*Basic Information"):
        Settings(slack_bot_token="xoxb-1").require_slack(http=True)
    Settings(slack_bot_token="xoxb-1").require_slack(http=False)


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nPORT=4000\n")
    settings = load_settings({"PORT": "5000"}, env_file=env_file)
    assert settings.slack_bot_token == "xoxb-from-file"
    assert settings.port == 5000


def test_blank_values_count_as_unset() -> None:
    assert parse_settings({"SLACK_BOT_TOKEN": "  ", "PORT": ""}) == Settings()


def test_authorised_tag_and_time_field() -> None:
    assert (parse_settings({}).authorised_tag, parse_settings({}).time_spent_field) == (None, None)
    read = parse_settings(
        {"ROTABOT_AUTHORISED_TAG": " Authorised ", "ROTABOT_TIME_SPENT_FIELD": "360012345678"}
    )
    assert (read.authorised_tag, read.time_spent_field) == ("authorised", 360012345678)


def test_ticket_access_is_members_unless_narrowed_to_the_rota() -> None:
    assert parse_settings({}).ticket_access == "members"
    assert parse_settings({"ROTABOT_TICKET_ACCESS": " Rota "}).ticket_access == "rota"


def test_playbook_settings_have_defaults_and_refuse_odd_values() -> None:
    defaults = parse_settings({})
    assert (defaults.chargeable_tag, defaults.chargeable_group) == ("chargeable", None)
    assert (defaults.timebox_hours, defaults.update_tag) == (2, "update")
    chosen = parse_settings(
        {
            "ROTABOT_CHARGEABLE_TAG": "Quote_Needed",
            "ROTABOT_CHARGEABLE_GROUP": "Client services",
            "ROTABOT_TIMEBOX_HOURS": "3",
            "ROTABOT_UPDATE_TAG": "wp_update",
        }
    )
    assert (chosen.chargeable_tag, chosen.chargeable_group) == ("quote_needed", "Client services")
    assert (chosen.timebox_hours, chosen.update_tag) == (3, "wp_update")
    with pytest.raises(ConfigError, match="ROTABOT_CHARGEABLE_TAG is a Zendesk tag"):
        parse_settings({"ROTABOT_CHARGEABLE_TAG": "two words"})
    with pytest.raises(ConfigError, match="ROTABOT_TIMEBOX_HOURS is how many working hours"):
        parse_settings({"ROTABOT_TIMEBOX_HOURS": "0"})
