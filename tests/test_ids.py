import pytest

from fairlend.ids import is_id, new_id, prefix_of


def test_ids_carry_their_kind_and_sort_by_creation() -> None:
    ids = [new_id("loan") for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(is_id(i, "loan") and prefix_of(i) == "loan" for i in ids)


def test_a_bad_prefix_is_refused() -> None:
    with pytest.raises(ValueError):
        new_id("Loan")
    assert prefix_of("nonsense") is None
