"""The desk page's menus are written by `PlainSelect`: the very HTML wtforms' own menu writes."""
from __future__ import annotations

import pytest
from wtforms import Form, SelectField
from wtforms.widgets import Select

from webui.cases.forms import PlainSelect

CHOICES = [("", "Any"), ("a&b", 'Tom & "Jerry" <b>'), ("1", "One"), ("x", ""), ("ü", "Ünïcode")]


@pytest.mark.parametrize("data", ["", "a&b", "1", "x", "missing"])
@pytest.mark.parametrize("kwargs", [{}, {"class_": "wide", "aria_describedby": "help"}, {"required": True}])
def test_the_menu_is_the_same_as_wtforms_writes_it(data, kwargs):
    class Plain(Form):
        menu = SelectField("Menu", choices=CHOICES, validate_choice=False, widget=PlainSelect())

    class Stock(Form):
        menu = SelectField("Menu", choices=CHOICES, validate_choice=False, widget=Select())

    plain, stock = Plain(data={"menu": data}), Stock(data={"menu": data})
    assert str(plain.menu(**kwargs)) == str(stock.menu(**kwargs))
    assert 'value="a&amp;b"' in str(plain.menu()) and "Tom &amp; &#34;Jerry&#34; &lt;b&gt;" in str(plain.menu())


def test_options_with_attributes_or_groups_are_left_to_wtforms():
    class Grouped(Form):
        menu = SelectField("Menu", choices={"Fruit": [("apple", "Apple")], "Veg": [("leek", "Leek")]},
                           widget=PlainSelect())

    html = str(Grouped(data={"menu": "leek"}).menu())
    assert '<optgroup label="Veg">' in html and '<option selected value="leek">Leek</option>' in html
