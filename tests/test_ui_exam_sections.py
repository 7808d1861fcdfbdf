"""The exam form's sections are a list on the left (fourteen tabs needed scroll arrows on a laptop): every section
is listed, choosing one shows its page, and the form fits beside the assessment on a small screen."""

from __future__ import annotations

import exam_ui_support as support
from exam_ui_support import make_page, open_exam
from PySide6.QtWidgets import QTabBar

world, doctor = support.world, support.doctor


def test_the_sections_are_a_list_beside_the_page(qtbot, world, doctor):
    page = make_page(qtbot, doctor)
    assert not page.editor.form.list.isVisible()  # no empty list before an exam is open
    open_exam(qtbot, page, world[1])
    form = page.editor.form
    titles = [form.list.item(i).text() for i in range(form.list.count())]
    assert len(titles) >= 10 and titles[-1] == "Chuyển tuyến, theo dõi"  # every section, and the plan
    assert titles == [form.tabText(i) for i in range(form.count())]
    assert not form.findChildren(QTabBar)  # no row of tabs with scroll arrows
    assert form.list.isVisible() and form.list.x() < form.stack.x()  # on the left
    for row in (3, len(titles) - 1):
        form.list.setCurrentRow(row)
        assert form.currentIndex() == row and form.stack.currentWidget() is form.widget(row)
        assert form.widget(row).isVisible()
    assert form.list.height() >= form.list.sizeHintForRow(0) * 8  # a good part of the list shows at once
