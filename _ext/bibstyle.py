"""The book's bibliography style: entries labelled "Kingma and Ba, 2015".

The text cites author-year (``bibtex_reference_style: author_year``), but
pybtex's default labels are alphabetic codes such as ``[KB15]``, which readers
cannot match to "Kingma and Ba (2015)" and which garble accented names
(``[MullerKH19]``). This Sphinx extension registers a pybtex style,
``authoryear``, whose labels are the author-year text itself and whose
entries are sorted by author and year. ``_config.yml`` loads it and makes it
the default.
"""

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person) -> str:
    """A person's last name(s) as plain text, LaTeX accents decoded (Müller)."""
    latex = " ".join(person.prelast_names + person.last_names)
    return Text.from_latex(latex).render_as("text")


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Huber, 1964", "Kingma and Ba, 2015", "Goyal et al., 2017"."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            persons = (
                entry.persons.get("author") or entry.persons.get("editor") or []
            )
            names = [_surname(p) for p in persons]
            if len(names) > 2:
                who = f"{names[0]} et al."
            elif names:
                who = " and ".join(names)
            else:
                who = entry.fields.get("organization", entry.key)
            yield f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "authoryear"
    default_sorting_style = "author_year_title"  # pybtex's own sorting style


def setup(app):
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
