"""Display names: the rules, uniqueness whatever the case, never the legal name."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from masthead.community.models import Commenter
from masthead.community.services.errors import InvalidInput
from masthead.community.services.names import clean_display_name, commenter_create, name_key


@pytest.mark.parametrize(
    "name",
    [
        "Ada",
        "Zoë Ørsted",
        "O'Brien",
        "Mary-Jane_2",
        "Иван Петров",
        "李小龙",
        "عمر",
        "नमस्ते",
        "A\u2019b",
    ],
)
def test_letters_of_any_script_digits_and_the_allowed_marks(name: str) -> None:
    assert clean_display_name(name) == name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "name_empty"),
        ("Al", "name_short"),
        ("x" * 31, "name_long"),
        ("Ada!", "name_characters"),
        ("<script>", "name_characters"),
        ("ada@example.com", "name_characters"),
        ("Ada\u202e", "name_characters"),
        ("---", "name_no_letter"),
    ],
)
def test_names_breaking_a_rule_are_refused_with_a_message(name: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_display_name(name)
    assert caught.value.code == code
    assert caught.value.message


def test_spaces_are_collapsed_and_trimmed() -> None:
    assert clean_display_name("  Ada    Byron ") == "Ada Byron"


def test_the_message_names_the_characters_to_remove() -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_display_name("Ada & Bob!")
    assert "\u201c!\u201d \u201c&\u201d" in caught.value.message


def test_the_key_ignores_case_and_width() -> None:
    assert name_key("ADA Straße") == name_key("ada strasse")
    assert name_key("\uff21\uff44\uff41") == name_key("ada")


def test_a_name_is_unique_whatever_its_case(make_reader) -> None:
    commenter_create(user=make_reader(), display_name="Night Owl")
    with pytest.raises(InvalidInput) as caught:
        commenter_create(user=make_reader(), display_name="NIGHT owl")
    assert caught.value.code == "name_taken"
    assert "is taken" in caught.value.message


def test_one_name_per_reader(make_reader) -> None:
    reader = make_reader()
    commenter_create(user=reader, display_name="First Name")
    with pytest.raises(InvalidInput) as caught:
        commenter_create(user=reader, display_name="Second Name")
    assert caught.value.code == "name_exists"


def test_the_legal_name_is_never_used(make_reader) -> None:
    reader = make_reader(first_name="Grace", last_name="Hopper")
    commenter = commenter_create(user=reader, display_name="Admiral")
    assert commenter.display_name == "Admiral"
    assert "Grace" not in commenter.display_name_key


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_readers_racing_for_one_name_get_it_once(make_reader) -> None:
    first, second = make_reader(), make_reader()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def claim(user, name):
        try:
            barrier.wait()
            commenter_create(user=user, display_name=name)
            outcomes.append("ok")
        except InvalidInput as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(first, "Same Name")),
        threading.Thread(target=claim, args=(second, "same name")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["name_taken", "ok"]
    assert Commenter.objects.count() == 1
