"""A small XML tree that keeps what C14N needs (prefixes, namespace declarations, attribute order).

``xml.etree`` forgets prefixes and where namespaces were declared, and C14N needs both. This parser (expat,
without namespace processing) keeps the document as written, and accepts only what our signed documents
hold: elements, attributes and text. A DTD, entity declarations, comments and processing instructions are
refused (no entity expansion, nothing C14N's "without comments" would silently drop), and so is any namespace
but XML-DSig's, and any prefixed attribute: what is signed is what the Ministry's reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from ksk_desktop.moh1551.errors import UnsupportedXml

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(eq=False)
class Element:
    name: str  # qualified name as written ("ds:Signature" or "HOSO")
    attrs: list[tuple[str, str]] = field(default_factory=list)  # as written, xmlns declarations included
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None
    _scope: dict[str, str] | None = field(
        default=None, repr=False
    )  # cached: attrs never change once parented

    @property
    def prefix(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    @property
    def local(self) -> str:
        return self.name.split(":", 1)[1] if ":" in self.name else self.name

    def declarations(self) -> dict[str, str]:
        """Namespace declarations on this element: prefix ('' for the default) → URI."""
        out = {}
        for name, value in self.attrs:
            if name == "xmlns":
                out[""] = value
            elif name.startswith("xmlns:"):
                out[name[6:]] = value
        return out

    def plain_attrs(self) -> list[tuple[str, str]]:
        return [(n, v) for n, v in self.attrs if n != "xmlns" and not n.startswith("xmlns:")]

    def get(self, name: str) -> str | None:
        return next((v for n, v in self.attrs if n == name), None)

    def in_scope(self) -> dict[str, str]:
        """Namespace bindings in scope here (nearest declaration wins); do not change the result."""
        if self._scope is None:
            own = self.declarations()
            base = self.parent.in_scope() if self.parent is not None else {}
            self._scope = {**base, **own} if own else base
        return self._scope

    def namespace(self) -> str:
        return self.in_scope().get(self.prefix, "")

    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]

    def iter(self) -> list[Element]:
        """This element and its descendants, in document order."""
        out: list[Element] = []
        stack: list[Element] = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed([c for c in node.children if isinstance(c, Element)]))
        return out

    def text(self) -> str:
        return "".join(c for c in self.children if isinstance(c, str))

    def append(self, child: Element) -> Element:
        child.parent = self
        child._scope = None
        self.children.append(child)
        return child


def _refuse(what: str) -> None:
    raise UnsupportedXml(f"Tệp XML có {what}, không được phép trong hồ sơ ký số.")


def parse(data: bytes) -> Element:
    """Parse *data* into an :class:`Element` tree, refusing what the signer does not handle."""
    parser = expat.ParserCreate(encoding=None)
    parser.ordered_attributes = True
    root: list[Element] = []
    stack: list[Element] = []

    def start(name: str, attrs: list[str]) -> None:
        pairs = list(zip(attrs[0::2], attrs[1::2], strict=True))
        node = Element(name, pairs)
        if stack:
            stack[-1].append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if not stack:
            return
        kids = stack[-1].children
        if kids and isinstance(kids[-1], str):
            kids[-1] += text
        else:
            kids.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = lambda *_a: _refuse("khai báo DOCTYPE")
    parser.EntityDeclHandler = lambda *_a: _refuse("khai báo thực thể")
    parser.CommentHandler = lambda *_a: _refuse("chú thích (comment)")
    parser.ProcessingInstructionHandler = lambda *_a: _refuse("chỉ thị xử lý")
    parser.SkippedEntityHandler = lambda *_a: _refuse("thực thể không khai báo")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnsupportedXml(f"Tệp XML không hợp lệ (dòng {exc.lineno}).") from exc
    if not root:
        raise UnsupportedXml("Tệp XML không có phần tử gốc.")
    _check_names(root[0])
    return root[0]


def _check_names(root: Element) -> None:
    for node in root.iter():
        for prefix, uri in node.declarations().items():
            if uri != DSIG_NS and not (prefix == "" and uri == ""):
                raise UnsupportedXml("Tệp XML dùng không gian tên khác ngoài XML-DSig; không ký được.")
        scope = node.in_scope()
        if node.prefix and node.prefix not in scope:
            raise UnsupportedXml("Tệp XML dùng tiền tố không gian tên chưa khai báo.")
        for name, _value in node.plain_attrs():
            if ":" in name:
                raise UnsupportedXml("Tệp XML có thuộc tính mang tiền tố; không ký được.")


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")


def _escape_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\t", "&#x9;")
        .replace("\n", "&#xA;")
        .replace("\r", "&#xD;")
    )


def serialize(root: Element) -> bytes:
    """The document as UTF-8 with an XML declaration; parsing it again gives the same tree."""
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']

    def walk(node: Element) -> None:
        out.append("<" + node.name)
        for name, value in node.attrs:
            out.append(f' {name}="{_escape_attr(value)}"')
        if not node.children:
            out.append("/>")
            return
        out.append(">")
        for child in node.children:
            if isinstance(child, str):
                out.append(_escape_text(child))
            else:
                walk(child)
        out.append(f"</{node.name}>")

    walk(root)
    return "".join(out).encode("utf-8")


def canonicalize(apex: Element, *, exclusive: bool, omit: Element | None = None) -> bytes:
    """C14N 1.0 without comments (inclusive or exclusive) of the subtree at *apex*, leaving *omit* out.

    *apex* is the document element or an element inside it: for inclusive C14N the namespaces in scope from
    its ancestors are rendered on it, as the specification's document-subset rule says."""
    out: list[str] = []

    def walk(node: Element, rendered: dict[str, str]) -> None:
        scope = node.in_scope()
        if exclusive:
            wanted = {node.prefix}
        else:
            wanted = set(scope) | {""}
        decls: list[tuple[str, str]] = []
        for prefix in sorted(wanted):
            uri = scope.get(prefix, "")
            if rendered.get(prefix, "") != uri:
                decls.append((prefix, uri))
        now = dict(rendered)
        now.update(decls)
        out.append("<" + node.name)
        for prefix, uri in decls:
            name = f"xmlns:{prefix}" if prefix else "xmlns"
            out.append(f' {name}="{_escape_attr(uri)}"')
        for name, value in sorted(node.plain_attrs()):
            out.append(f' {name}="{_escape_attr(value)}"')
        out.append(">")
        for child in node.children:
            if isinstance(child, str):
                out.append(_escape_text(child))
            elif child is not omit:
                walk(child, now)
        out.append(f"</{node.name}>")

    walk(apex, {})
    return "".join(out).encode("utf-8")
