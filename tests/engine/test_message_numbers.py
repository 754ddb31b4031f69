"""Sizes in engine messages are in megabytes, and decimals are written the reader's way."""
from __future__ import annotations

from engine.i18n import megabytes, message


def test_a_file_too_big_is_said_in_megabytes_with_the_languages_decimal_separator():
    params = {"size": megabytes(1572864), "max": megabytes(1048576), "requirement": "Piano"}
    assert message("document_too_big", "en", **params) == \
        "The file is too big (1.5 MB); 'Piano' accepts at most 1 MB."
    assert message("document_too_big", "it", **params) == \
        "Il file è troppo grande (1,5 MB); 'Piano' accetta al massimo 1 MB."
    assert message("document_too_big", "fr", **params) == \
        "Le fichier est trop volumineux (1,5 Mo) ; « Piano » accepte au plus 1 Mo."
    assert megabytes(200) == 0.01 and megabytes(0) == 0.0  # a small file is never "0 MB"
