import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlend.identity.model import mask_card, mask_id_number, mask_name, mask_phone
from fairlend.identity.pii import PiiVault, VaultError

K1 = base64.b64encode(b"1" * 32).decode()
K2 = base64.b64encode(b"2" * 32).decode()


def test_a_value_decrypts_to_itself_and_never_appears_in_its_ciphertext() -> None:
    vault = PiiVault(f"k1:{K1}", "index-key")
    ciphertext = vault.encrypt("110101199003070011", "id_number")
    assert ciphertext.startswith("k1:")
    assert "110101199003070011" not in ciphertext
    assert vault.decrypt(ciphertext, "id_number") == "110101199003070011"


def test_the_same_value_encrypts_differently_each_time() -> None:
    vault = PiiVault(f"k1:{K1}", "index-key")
    assert vault.encrypt("13912345678", "phone") != vault.encrypt("13912345678", "phone")


def test_after_rotation_the_new_key_encrypts_and_the_old_one_still_decrypts() -> None:
    old = PiiVault(f"k1:{K1}", "index-key")
    stored = old.encrypt("6222000000000000001", "card")
    rotated = PiiVault(f"k2:{K2},k1:{K1}", "index-key")
    assert rotated.decrypt(stored, "card") == "6222000000000000001"
    assert rotated.needs_rotation(stored)
    fresh = rotated.rotate(stored, "card")
    assert fresh.startswith("k2:") and not rotated.needs_rotation(fresh)
    assert rotated.decrypt(fresh, "card") == "6222000000000000001"
    with pytest.raises(VaultError):
        PiiVault(f"k2:{K2}", "index-key").decrypt(stored, "card")


def test_a_ciphertext_moved_to_another_purpose_or_altered_is_refused() -> None:
    vault = PiiVault(f"k1:{K1}", "index-key")
    stored = vault.encrypt("13912345678", "phone")
    with pytest.raises(VaultError):
        vault.decrypt(stored, "id_number")
    kid, body = stored.split(":")
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(VaultError):
        vault.decrypt(kid + ":" + base64.b64encode(bytes(raw)).decode(), "phone")


def test_bad_key_settings_are_refused() -> None:
    for spec in ("", "k1", f"k1:{base64.b64encode(b'short').decode()}", "k1:not base64!", f"k1:{K1},k1:{K2}"):
        with pytest.raises(VaultError):
            PiiVault(spec, "index-key")


def test_the_blind_index_is_stable_keyed_and_separated_by_purpose() -> None:
    vault = PiiVault(f"k1:{K1}", "index-key")
    assert vault.blind_index("13912345678", "phone") == vault.blind_index("13912345678", "phone")
    assert vault.blind_index("13912345678", "phone") != vault.blind_index("13912345678", "card")
    assert vault.blind_index("13912345678", "phone") != PiiVault(f"k1:{K1}", "other").blind_index(
        "13912345678", "phone"
    )


def test_masks_show_what_the_design_says() -> None:
    assert mask_id_number("11010119900307002X") == "1101**********002X"
    assert mask_card("6222000000000000001") == "**** 0001"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"


@given(st.text(alphabet="0123456789X", min_size=9, max_size=30))
def test_a_masked_id_number_keeps_its_length_and_hides_the_middle(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked[4:-4] == "*" * (len(number) - 8)


@given(st.text(min_size=0, max_size=200), st.sampled_from(["phone", "id_number", "card", "name"]))
def test_every_text_round_trips_through_the_vault(value: str, purpose: str) -> None:
    vault = PiiVault(f"k2:{K2},k1:{K1}", "index-key")
    assert vault.decrypt(vault.encrypt(value, purpose), purpose) == value
