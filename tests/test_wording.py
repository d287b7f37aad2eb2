"""Finnish wording helpers."""

from __future__ import annotations

import pytest

from nakyma.wording import number_elative


@pytest.mark.parametrize(
    ("n", "written"),
    [
        (0, "0:sta"),  # nollasta
        (1, "1:stä"),  # yhdestä
        (2, "2:sta"),  # kahdesta
        (7, "7:stä"),  # seitsemästä
        (9, "9:stä"),  # yhdeksästä
        (10, "10:stä"),  # kymmenestä
        (12, "12:sta"),  # kahdestatoista
        (14, "14:stä"),  # neljästätoista
        (20, "20:stä"),  # kahdestakymmenestä
        (22, "22:sta"),  # kahdestakymmenestäkahdesta
        (100, "100:sta"),  # sadasta
        (108, "108:sta"),  # sadastakahdeksasta
        (1000, "1000:sta"),  # tuhannesta
    ],
)
def test_number_elative_follows_the_last_word_read_aloud(n: int, written: str) -> None:
    assert number_elative(n) == written
