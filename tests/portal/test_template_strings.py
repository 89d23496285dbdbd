"""No visible text is typed straight into a template or a form: it all goes
through Django's i18n, so the Dutch site is Dutch everywhere.

makemessages only sees text wrapped in {% translate %} / {% blocktranslate %}
(or gettext in Python). A sentence typed straight into the HTML never reaches
locale/, so the catalogue tests in test_translations.py cannot notice it; it
simply stays English on /nl/. These tests read each template the way Django
does (with its own Lexer), drop what is translated, code or markup, and fail on
any word that is left over. A second test does the same for the Python
literals that end up on screen: flash messages, validation errors, form labels
and model names.
"""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

BASE_DIR = Path(settings.BASE_DIR)
APPS = ("portal", "ideas", "experts", "listening")

# Words that read the same in English and Dutch, or are names. Keep it short:
# anything else belongs in {% translate %}, even if the Dutch happens to match.
ALLOWED_WORDS = {
    "Seed",  # the product's name
    "RSS",  # feed format
    "px",  # CSS unit in inline styles or SVG attributes
    "Enter",  # the key's name on Dutch keyboards too (keyboard shortcut help)
}
# Not seen by members: the load test's bare baseline page (BENCH_VIEWS only).
SKIPPED_TEMPLATES = {"templates/bench/bare.html"}

# Attributes a visitor reads (tooltips, screen readers, placeholders, alt text).
VISIBLE_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "label",
    "aria-label",
    "aria-description",
    "aria-placeholder",
    "aria-roledescription",
    "aria-valuetext",
    "hx-confirm",  # htmx asks with the browser's confirm() dialog
    "hx-prompt",
}
# <input type="submit" value="Send"> shows its value as the button's text.
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}
# Their content is code, not text.
CODE_ELEMENTS = {"script", "style"}

# {% tag %} ... {% endtag %} whose content is not UI text to check here.
SKIPPED_BLOCKS = {
    "comment": "endcomment",
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
}
TRANSLATE_TAGS = {"translate", "trans", *SKIPPED_BLOCKS}
# {% block name %} whose content base.html puts in an attribute, not in text.
ATTRIBUTE_BLOCKS = {"body_class"}

# Stands in for a {{ var }} or {% tag %}: not a word, and keeps tags parseable.
PLACEHOLDER = " \u00a7 "
WORD = re.compile(r"[^\W\d_]{2,}")
# A string literal in a tag or a filter argument, unless it is _("wrapped").
LITERAL = re.compile(
    r"""(?P<gettext>_\()?(?P<q>["'])(?P<text>(?:(?!(?P=q)).)*)(?P=q)"""
)
# "Send", "No answer yet": prose. "ideas:detail", "components/x.html": not.
PROSE_LITERAL = re.compile(r"^[A-Z][a-z]+\b|[^\W\d_]{2,}\s+[^\W\d_]{2,}")

FIX = (
    "Wrap each in {% translate %} (or {% blocktranslate %} when it holds a "
    "variable), load i18n at the top of the template, then run `make messages` "
    "and translate the new strings in locale/nl/LC_MESSAGES/django.po."
)
PY_FIX = (
    "Wrap each in gettext_lazy (fields, forms, model Meta and class-level "
    "strings) or gettext (inside functions), then run `make messages` and "
    "translate the new strings in locale/nl/LC_MESSAGES/django.po."
)


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def template_files() -> list[Path]:
    """Our templates: the project's templates/ and any app's templates/ dir."""
    roots = [BASE_DIR / "templates"]
    for app in APPS:
        roots += [p for p in (BASE_DIR / app).rglob("templates") if p.is_dir()]
    return sorted(
        path
        for root in roots
        for path in root.rglob("*")
        if path.suffix in (".html", ".txt", ".xml")
        and path.is_file()
        and path.relative_to(BASE_DIR).as_posix() not in SKIPPED_TEMPLATES
    )


def has_prose(text: str) -> bool:
    return any(word not in ALLOWED_WORDS for word in WORD.findall(text))


def _tag_name(contents: str) -> str:
    return contents.split(None, 1)[0] if contents.strip() else ""


def masked_template(source: str, name: str) -> tuple[str, list[Hit]]:
    """The template's text with every tag, variable, comment and translated
    block replaced by a placeholder (line breaks kept, so lines still match),
    plus the prose found in string literals inside tags and filters."""
    pieces: list[str] = []
    literal_hits: list[Hit] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            text = token.contents
            pieces.append("\n" * text.count("\n") if closing else text)
            continue
        pieces.append(PLACEHOLDER)
        tag = _tag_name(token.contents) if token.token_type == TokenType.BLOCK else ""
        if closing:
            if tag == closing:
                closing = None
            continue
        if tag in SKIPPED_BLOCKS:
            closing = SKIPPED_BLOCKS[tag]
        elif tag == "block" and ATTRIBUTE_BLOCKS & set(token.contents.split()[1:2]):
            closing = "endblock"
        if token.token_type in (TokenType.VAR, TokenType.BLOCK) and (
            tag not in TRANSLATE_TAGS
        ):
            for match in LITERAL.finditer(token.contents):
                text = match["text"]
                if match["gettext"]:
                    continue
                if PROSE_LITERAL.search(text) and has_prose(text):
                    literal_hits.append(Hit(name, token.lineno, text))
    return "".join(pieces), literal_hits


class _VisibleText(HTMLParser):
    """Collects the text and visible attributes of a masked HTML template."""

    def __init__(self, name: str):
        super().__init__(convert_charrefs=True)
        self.name = name
        self.hits: list[Hit] = []
        self._code_element: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in CODE_ELEMENTS:
            self._code_element = tag
        attributes = dict(attrs)
        line = self.getpos()[0]
        for attribute, value in attrs:
            visible = attribute in VISIBLE_ATTRIBUTES or (
                attribute == "value"
                and tag == "input"
                and (attributes.get("type") or "").lower() in BUTTON_INPUT_TYPES
            )
            if visible and value and has_prose(value):
                self.hits.append(Hit(self.name, line, f"{attribute}={value.strip()}"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in CODE_ELEMENTS:
            self._code_element = None

    def handle_endtag(self, tag):
        if tag == self._code_element:
            self._code_element = None

    def handle_data(self, data):
        if self._code_element:
            return
        self.hits += _prose_lines(self.name, self.getpos()[0], data)


def _prose_lines(name: str, first_line: int, text: str) -> Iterator[Hit]:
    for offset, line in enumerate(text.split("\n")):
        if has_prose(line):
            shown = " ".join(line.replace(PLACEHOLDER.strip(), "…").split())
            yield Hit(name, first_line + offset, shown)


def untranslated_text(source: str, name: str) -> list[Hit]:
    """The untranslated prose in one template; `name` ends in .txt for mail."""
    masked, hits = masked_template(source, name)
    if name.endswith(".txt"):
        return hits + list(_prose_lines(name, 1, masked))
    parser = _VisibleText(name)
    parser.feed(masked)
    parser.close()
    return hits + parser.hits


def untranslated_template_text(path: Path) -> list[Hit]:
    name = path.relative_to(BASE_DIR).as_posix()
    return untranslated_text(path.read_text(encoding="utf-8"), name)


def test_templates_have_no_untranslated_text():
    files = template_files()
    assert len(files) > 50, "the template scan found too few templates"

    hits = [hit for path in files for hit in untranslated_template_text(path)]

    assert not hits, (
        f"{len(hits)} piece(s) of template text are not translated. {FIX}\n  "
        + "\n  ".join(map(str, hits))
    )


# --- the scanner itself ------------------------------------------------------


def _scan(source: str, suffix: str = ".html") -> list[str]:
    return [hit.text for hit in untranslated_text(source, f"example{suffix}")]


def test_scanner_reports_plain_text_with_its_line():
    hits = untranslated_text("{% load i18n %}\n<p>\n  Vote here\n</p>", "t.html")

    assert [str(h) for h in hits] == ["t.html:3: 'Vote here'"]


def test_scanner_ignores_translated_text_code_and_comments():
    source = """{% load i18n %}{% block body_class %}ideas-page{% endblock %}
    <h1>{% translate "Ideas" %}</h1>
    <p>{% blocktranslate count n=total %}One idea{% plural %}{{ n }} ideas
       {% endblocktranslate %}</p>
    {% comment %}Explain why this is here{% endcomment %}{# A note #}
    <!-- An HTML comment -->
    <script>const label = "Hello there";</script>
    <style>.a::after { content: "Read more"; }</style>
    <a href="{% url 'ideas:index' %}" class="button primary">{{ idea.title }}</a>
    <p>{{ count }} &middot; 12 &ndash; 3px Seed RSS</p>
    """

    assert _scan(source) == []


def test_scanner_reads_visible_attributes_and_tag_literals():
    source = """{% load i18n %}
    <img src="x.png" alt="A photo">
    <button aria-label="{% translate 'Close' %}" title="Close the dialog">x</button>
    <input type="submit" value="Send"><input type="hidden" name="next" value="Back">
    {% include "components/form.html" with submit_label="Save changes" %}
    {{ answer.author|default:"Anonymous" }}
    {% include "x.html" with a=_("Send it") b="b" c='Write more' %}
    """

    assert _scan(source) == [
        "Save changes",
        "Anonymous",
        "Write more",
        "alt=A photo",
        "title=Close the dialog",
        "value=Send",
    ]


def test_scanner_reads_text_templates_line_by_line():
    source = '{% load i18n %}{% translate "Hello" %}\n{{ url }}\nThanks for joining\n'

    assert _scan(source, ".txt") == ["Thanks for joining"]


# --- Python literals that reach the screen -----------------------------------

GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "format_lazy",
}
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error", "add_message"}
# Keyword arguments shown to members or staff, on the callables that show them:
# model and form fields, serializers, Wagtail blocks, panels, columns and menus.
VISIBLE_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    "heading",
}
VISIBLE_CALLEES = ("Field", "Serializer", "Block", "Panel", "Column", "Manager")
# Class attributes shown as names and labels: model Meta, AppConfig, Wagtail
# viewsets and bulk actions.
CLASS_ATTRIBUTES = {
    "verbose_name",
    "verbose_name_plural",
    "menu_label",
    "page_title",
    "header_title",
    "aria_label",
}
# Model fields whose first positional argument is the model, not a name.
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey"}


def python_files() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (BASE_DIR / app).rglob("*.py")
        if "migrations" not in path.parts and "settings" not in path.parts
    )


def _is_prose(node: ast.AST | None) -> bool:
    """A plain string or f-string literal with words in it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return has_prose(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_is_prose(part) for part in node.values)
    return False


def _prose_parts(node: ast.AST | None) -> Iterator[ast.AST]:
    """The prose literals in a message: itself, or the items of a dict or list
    of messages (ValidationError({"title": "Too long"}))."""
    if isinstance(node, ast.Dict):
        for value in node.values:
            yield from _prose_parts(value)
    elif isinstance(node, ast.List | ast.Tuple):
        for item in node.elts:
            yield from _prose_parts(item)
    elif _is_prose(node):
        yield node


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _literal_text(node: ast.AST) -> str:
    return ast.unparse(node) if not isinstance(node, ast.Constant) else node.value


class _VisibleLiterals(ast.NodeVisitor):
    def __init__(self, name: str):
        self.name = name
        self.hits: list[Hit] = []

    def _hit(self, node: ast.AST, what: str) -> None:
        self.hits.append(Hit(self.name, node.lineno, f"{what}: {_literal_text(node)}"))

    def visit_Call(self, node: ast.Call) -> None:
        func = _name(node.func)
        if func in GETTEXT_NAMES:
            return  # Its arguments are translated; nothing below needs a look.
        module = node.func.value if isinstance(node.func, ast.Attribute) else None
        if func in MESSAGE_LEVELS and _name(module) == "messages":
            position = 2 if func == "add_message" else 1
            if len(node.args) > position and _is_prose(node.args[position]):
                self._hit(node.args[position], f"messages.{func}")
        first = node.args[0] if node.args else None
        if func == "ValidationError":
            for message in [
                first,
                *(k.value for k in node.keywords if k.arg == "message"),
            ]:
                for part in _prose_parts(message):
                    self._hit(part, "ValidationError")
        # models.CharField("title", ...) and MenuItem("Ideas", url): a label.
        if _is_prose(first) and (
            func.endswith("MenuItem")
            or (
                func.endswith("Field")
                and func not in RELATION_FIELDS
                and _name(module) in ("models", "forms")
            )
        ):
            self._hit(first, f"{func} label")
        if func == "add_error" and len(node.args) > 1 and _is_prose(node.args[1]):
            self._hit(node.args[1], "add_error")
        for keyword in node.keywords:
            if keyword.arg == "error_messages":
                self._dict_values(keyword.value, "error_messages")
            # choices=[("top", "Most votes")]: the label is the second item.
            if keyword.arg == "choices" and isinstance(
                keyword.value, ast.List | ast.Tuple
            ):
                for choice in keyword.value.elts:
                    if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                        if _is_prose(choice.elts[1]):
                            self._hit(choice.elts[1], "choices")
        if func.endswith(VISIBLE_CALLEES):
            for keyword in node.keywords:
                if keyword.arg in VISIBLE_KEYWORDS and _is_prose(keyword.value):
                    self._hit(keyword.value, f"{func}({keyword.arg}=)")
        self.generic_visit(node)

    def _dict_values(self, node: ast.AST, what: str) -> None:
        if isinstance(node, ast.Dict):
            for value in node.values:
                if _is_prose(value):
                    self._hit(value, what)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        choices = any(_name(base).endswith("Choices") for base in node.bases)
        for statement in node.body:
            if not isinstance(statement, ast.Assign):
                continue
            targets = {_name(t) for t in statement.targets}
            value = statement.value
            if targets & CLASS_ATTRIBUTES and _is_prose(value):
                self._hit(value, f"{node.name}.{targets.pop()}")
            if "default_error_messages" in targets:
                self._dict_values(value, "default_error_messages")
            # OPEN = "open": Django makes the label "Open" from the name.
            if choices and isinstance(value, ast.Constant):
                self._hit(value, f"{node.name} label from the name")
            # STATUS = "open", "Open": the label is the last item.
            if choices and isinstance(value, ast.Tuple) and _is_prose(value.elts[-1]):
                self._hit(value.elts[-1], f"{node.name} label")
        self.generic_visit(node)


def untranslated_python_literals(path: Path) -> list[Hit]:
    name = path.relative_to(BASE_DIR).as_posix()
    visitor = _VisibleLiterals(name)
    visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=name))
    return visitor.hits


def test_python_ui_strings_are_translated():
    hits = [
        hit for path in python_files() for hit in untranslated_python_literals(path)
    ]

    assert not hits, (
        f"{len(hits)} string(s) shown on screen are not translated. {PY_FIX}\n  "
        + "\n  ".join(map(str, hits))
    )


def test_python_scan_knows_translated_from_plain_literals():
    source = """
from django.utils.translation import gettext as _, gettext_lazy
class Status(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    DONE = "done", "Done"
    LATER = "later"
class Form(forms.Form):
    name = forms.CharField(label="Your name", help_text=_("Be kind"))
    class Meta:
        verbose_name = "idea"
class IdeasConfig(AppConfig):
    name = "ideas"
    verbose_name = "Ideas"
def view(request):
    messages.success(request, _("Saved."))
    messages.error(request, f"Could not save {thing}")
    form.add_error("title", "Too long")
    form.add_error(None, _("Try again"))
    raise ValidationError("Too short")
    raise ValidationError({"title": [_("Too long")], "body": ["Empty"]})
confirm = forms.BooleanField(error_messages={"required": "Tick it"})
sort = forms.ChoiceField(choices=[("top", _("Most votes")), ("new", "Newest")])
title = models.CharField("title", max_length=200)
author = models.ForeignKey("accounts.User", on_delete=models.CASCADE)
menu = MenuItem("Ideas", "/admin/ideas/", icon_name="pick")
neutral = Sentiment(score=0.0, label="neutral")
"""
    visitor = _VisibleLiterals("example.py")
    visitor.visit(ast.parse(source))

    assert [h.text for h in visitor.hits] == [
        "Status label: Done",
        "Status label from the name: later",
        "CharField(label=): Your name",
        "Meta.verbose_name: idea",
        "IdeasConfig.verbose_name: Ideas",
        "messages.error: f'Could not save {thing}'",
        "add_error: Too long",
        "ValidationError: Too short",
        "ValidationError: Empty",
        "error_messages: Tick it",
        "choices: Newest",
        "CharField label: title",
        "MenuItem label: Ideas",
    ]
