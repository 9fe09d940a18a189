"""The error hierarchy's messages: English as raised, translated where a page asks."""

from __future__ import annotations

import pickle

from sdgbridge.errors import N_, Forbidden, Phrase, SdgBridgeError

RU = {
    "The password has {count} characters; use at least {minimum}.":
        "В пароле {count} символов; нужно не меньше {minimum}.",
    "{who} may not edit; ask {ask}.": "{who} не может править; попросите {ask}.",
    "an administrator": "администратора",
    "Broken {name}.": "Сломано {other}.",
    "Project {name} was imported from {file}.": "Проект {name} импортирован из {file}.",
}


def ru(message: str) -> str:
    return RU.get(message, message)


def test_a_template_reads_in_english_and_translates_with_its_values() -> None:
    exc = SdgBridgeError(N_("The password has {count} characters; use at least {minimum}."),
                         count=5, minimum=12)
    assert str(exc) == "The password has 5 characters; use at least 12."
    assert exc.translated(ru) == "В пароле 5 символов; нужно не меньше 12."
    assert exc.translated(lambda m: m) == str(exc)


def test_a_phrase_value_is_translated_too() -> None:
    exc = Forbidden(N_("{who} may not edit; ask {ask}."), who="ann@example.org",
                    ask=Phrase(N_("an administrator")))
    assert str(exc) == "ann@example.org may not edit; ask an administrator."
    assert exc.translated(ru) == "ann@example.org не может править; попросите администратора."
    assert exc.status == 403


def test_untranslated_messages_and_public_ones_stay_english() -> None:
    plain = SdgBridgeError("Nothing to change {here}.")  # no values: braces are text
    assert str(plain) == "Nothing to change {here}."
    assert plain.translated(ru) == "Nothing to change {here}."
    hidden = SdgBridgeError(N_("The password has {count} characters; use at least {minimum}."),
                            count=1, minimum=2)
    hidden.public = "Refused."
    assert hidden.translated(ru) == "Refused."


def test_a_translation_with_other_fields_falls_back_to_english() -> None:
    exc = SdgBridgeError(N_("Broken {name}."), name="x")
    assert exc.translated(ru) == "Broken x."


def test_errors_survive_pickling_with_their_message() -> None:
    exc = SdgBridgeError(N_("Broken {name}."), name="x")
    again = pickle.loads(pickle.dumps(exc))
    assert str(again) == "Broken x."


def test_public_params_keep_server_paths_out_of_public_answers() -> None:
    exc = SdgBridgeError(N_("Project {name} was imported from {file}."), name="P-1",
                         file="/srv/iati/a.xml")
    exc.public_params = {"file": "a.xml"}
    assert str(exc) == "Project P-1 was imported from /srv/iati/a.xml."  # the command line
    assert exc.public_message() == "Project P-1 was imported from a.xml."
    assert exc.translated(ru) == "Проект P-1 импортирован из a.xml."
    assert exc.translated(lambda m: m) == "Project P-1 was imported from a.xml."
