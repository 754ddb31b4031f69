"""Safe reading of YAML/JSON definition files (pathways, fragments, scenarios, assessments).

The reader never executes tags, never follows an alias bomb, never recurses without bound and never reads
an unbounded file: every refusal is a located `Problem`. It also keeps, for each place in the document, the
line and column it came from, so that later checks can point a designer at the exact spot.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .i18n import DEFAULT_LANGUAGE, message

MAX_FILE_BYTES = 4 * 1024 * 1024  # a pathway of 300 stages as dense as the shipped ones is about 1 MB
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_NODES = 200_000  # nodes after expanding aliases: stops "billion laughs" (300 real stages: ~70k)
# Integers beyond what JSON consumers (browsers, IEEE doubles) hold exactly. Also keeps Python from
# raising on str() of a many-thousand-digit integer later (content hash, messages).
MAX_INTEGER = 2**53 - 1

DocPath = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false. In YAML 1.1 'no', 'yes', 'on', 'off' are
    booleans, which would turn the Italian label 'No' or the French 'Oui'-like answers into true/false."""


# Numbers follow YAML 1.2 as well (the JSON numbers): no sexagesimal '1:30' = 90, no octal '017' = 15,
# and '1e-05' is a number, as in a .json file.
_YAML12 = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML12]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


class _Dumper(yaml.SafeDumper):
    """PyYAML's writer quotes a text only where YAML 1.1 would read something else ('yes', '1.5'): it also
    quotes one this loader reads as a number ('1e5', '0E0'), so that what it writes reads back the same here
    and in YAML 1.1 tools."""


_Dumper.yaml_implicit_resolvers = {
    first: [*yaml.SafeDumper.yaml_implicit_resolvers.get(first, []), *_Loader.yaml_implicit_resolvers.get(first, [])]
    for first in {*yaml.SafeDumper.yaml_implicit_resolvers, *_Loader.yaml_implicit_resolvers}
}


def dump_yaml(document: Any, **options: Any) -> str:
    """`document` as YAML text that `parse_text` reads back unchanged (`options`: those of `yaml.dump`)."""
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, **options)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful, if severity is 'warning') in a definition file."""

    file: str
    line: int
    column: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    path: DocPath = ()
    severity: str = "error"

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return message("problem." + self.code, lang, **self.params)

    def format(self, lang: str = DEFAULT_LANGUAGE) -> str:
        where = f" ({message('problem.at', lang, path=format_path(self.path))})" if self.path else ""
        kind = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}:{self.column}: {kind}{self.message(lang)}{where}"

    def as_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return {
            "file": self.file, "line": self.line, "column": self.column, "severity": self.severity,
            "code": self.code, "path": format_path(self.path), "message": self.message(lang),
        }


class CheckedFile:
    """What checking a definition file found (its `problems`): errors make it invalid, warnings do not."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors


def format_path(path: DocPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class SourceDocument:
    """A parsed file: its data, its text, and where each part of it came from."""

    file: str
    text: str
    data: Any
    # None until asked for: found from the text by a second reading the first time a problem is located,
    # which a valid file never needs.
    _locations: dict[DocPath, tuple[int, int]] | None = field(default=None, compare=False, repr=False)

    @property
    def locations(self) -> dict[DocPath, tuple[int, int]]:
        """Line and column of each part of the document (a mapping's value: where its key is written)."""
        if self._locations is None:
            self._locations = _build(self.text, self.file, locate=True)[1]
        return self._locations

    def where(self, path: DocPath) -> tuple[str, int, int]:
        """File, line, column of the closest located ancestor of `path`."""
        path = tuple(path)
        while path not in self.locations and path:
            path = path[:-1]
        line, col = self.locations.get(path, (1, 1))
        return self.file, line, col

    def problem(self, code: str, path: DocPath = (), severity: str = "error", **params: Any) -> Problem:
        file, line, col = self.where(path)
        return Problem(file, line, col, code, params, tuple(path), severity)


class LoadError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.format())


def read_file(path: Path | str, display_name: str | None = None) -> SourceDocument:
    """Read and parse a definition file; raise LoadError with a located problem if it cannot be read."""
    path = Path(path)
    name = display_name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(Problem(name, 1, 1, "too_big", {"size": size, "max": MAX_FILE_BYTES}))
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LoadError(Problem(name, 1, 1, "unreadable", {"reason": exc.strerror or str(exc)})) from None
    return parse_bytes(raw, name)


def parse_bytes(raw: bytes, name: str) -> SourceDocument:
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(Problem(name, 1, 1, "too_big", {"size": len(raw), "max": MAX_FILE_BYTES}))
    text = decode(raw, name)
    return parse_text(text, name)


def decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise LoadError(Problem(name, 1, 1, "encoding_utf16"))
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _position(raw, nul)
        raise LoadError(Problem(name, line, col, "binary"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(raw, exc.start)
        raise LoadError(Problem(name, line, col, "encoding", {"byte": f"0x{raw[exc.start]:02x}"})) from None


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def parse_text(text: str, name: str) -> SourceDocument:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        # The size in bytes, as the message says (len(text) counts characters).
        raise LoadError(Problem(name, 1, 1, "too_big", {"size": size, "max": MAX_FILE_BYTES}))
    nul = text.find("\x00")
    if nul >= 0:
        raise LoadError(Problem(name, text.count("\n", 0, nul) + 1, nul - text.rfind("\n", 0, nul), "binary"))
    try:
        data, _ = _build(text, name, locate=False)
    except _ParserFailed:
        # The fast parser only says *that* the text is broken; the pure-Python one says where and why.
        _check_events(text, name)
        raise LoadError(Problem(name, 1, 1, "syntax", {"reason": "the YAML cannot be read"})) from None
    if data is _EMPTY:
        return SourceDocument(name, text, None, {(): (1, 1)})
    return SourceDocument(name, text, data)


def _yaml_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    reason = " ".join(p for p in (exc.context, exc.problem) if p)
    return Problem(name, line, col, "syntax", {"reason": reason or str(exc)})


def _reader_problem(exc: yaml.reader.ReaderError, text: str, name: str) -> Problem:
    """A forbidden character (control character, lone surrogate): located at its line and column, not 1:1."""
    offset = exc.position
    line = text.count("\n", 0, offset) + 1
    col = offset - text.rfind("\n", 0, offset)
    char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
    return Problem(name, line, col, "syntax", {"reason": f"unacceptable character {char}: {exc.reason}"})


def _check_events(text: str, name: str) -> None:
    """Walk the YAML event stream (flat, no recursion) to refuse deep nesting and oversized streams early."""
    depth = 0
    count = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            count += 1
            if count > MAX_NODES:
                raise LoadError(Problem(name, event.start_mark.line + 1, event.start_mark.column + 1,
                                        "too_many_nodes", {"max": MAX_NODES}))
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise LoadError(Problem(name, event.start_mark.line + 1, event.start_mark.column + 1,
                                            "too_deep", {"max": MAX_DEPTH}))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent) and count > 2:
                raise LoadError(Problem(name, event.start_mark.line + 1, event.start_mark.column + 1,
                                        "several_documents"))
    except yaml.MarkedYAMLError as exc:
        raise LoadError(_yaml_problem(exc, name)) from None
    except yaml.reader.ReaderError as exc:
        raise LoadError(_reader_problem(exc, text, name)) from None
    except yaml.YAMLError as exc:
        raise LoadError(Problem(name, 1, 1, "syntax", {"reason": str(exc)})) from None


class _ParserFailed(Exception):
    pass


_EMPTY = object()
_FastParser = getattr(yaml, "CSafeLoader", None) or _Loader  # libyaml when installed; same events either way
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# The resolvers of plain scalars by first character, as `_Loader.resolve` looks them up: a plain scalar
# whose first character has none (most texts and ids) is text without trying any pattern.
_PLAIN_RESOLVERS = _Loader.yaml_implicit_resolvers


def _build(text: str, name: str, locate: bool) -> tuple[Any, dict[DocPath, tuple[int, int]]]:
    """Build plain data, and with `locate` the locations of its parts, in one pass over the parser's
    events, with no recursion.

    Limits are checked as events arrive: nesting depth, and the number of nodes *after* expanding
    aliases (an alias counts as the whole subtree it names), so an alias bomb stops early. Tags other
    than the plain YAML ones, merge keys, complex and duplicate keys, and several documents are refused.

    This loop runs once per node of every file read, so it keeps the open collection in local variables
    and handles the common case (a plain text scalar) without a function call.
    """
    parser = None
    try:
        parser = _FastParser(text)
        return _walk(parser.get_event, name, locate)
    except (yaml.YAMLError, UnicodeError):
        # UnicodeError: libyaml encodes the text to UTF-8 first and a lone surrogate ('\ud800', possible in
        # text handed to parse_text) cannot be; the pure-Python parser then locates it as a syntax error.
        raise _ParserFailed() from None
    finally:
        if parser is not None:
            parser.dispose()


def _walk(next_event: Callable[[], Any], name: str, locate: bool) -> tuple[Any, dict[DocPath, tuple[int, int]]]:
    scalars = _Loader("")
    locations: dict[DocPath, tuple[int, int]] = {}
    anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, expanded size)
    open_anchors: set[str] = set()
    # One entry per open collection: the enclosing collection's state, and the anchor and node count of
    # the open one (to record the anchor's value and expanded size when it closes).
    stack: list[tuple[Any, bool, DocPath, str | None, int]] = []
    container: Any = None  # the open collection; None at the top
    in_mapping = False
    path: DocPath = ()  # of the open collection (kept only with `locate`)
    key: Any = _EMPTY  # in a mapping: the key waiting for its value
    key_at: tuple[int, int] = (1, 1)  # where that key is written (kept only with `locate`)
    root: Any = _EMPTY
    count = 0
    documents = 0
    plain_resolvers = _PLAIN_RESOLVERS
    # The event classes as local names: they are compared once or more for each of the document's nodes.
    ScalarEvent, AliasEvent = yaml.ScalarEvent, yaml.AliasEvent  # noqa: N806
    MappingStartEvent, MappingEndEvent = yaml.MappingStartEvent, yaml.MappingEndEvent  # noqa: N806
    SequenceStartEvent, SequenceEndEvent = yaml.SequenceStartEvent, yaml.SequenceEndEvent  # noqa: N806
    DocumentStartEvent, StreamEndEvent = yaml.DocumentStartEvent, yaml.StreamEndEvent  # noqa: N806

    def fail(mark: Any, code: str, **params: Any) -> LoadError:
        return LoadError(Problem(name, mark.line + 1, mark.column + 1, code, params))

    while True:
        event = next_event()
        kind = type(event)
        if kind is ScalarEvent:
            count += 1
            if count > MAX_NODES:
                raise fail(event.start_mark, "too_many_nodes", max=MAX_NODES)
            value = event.value
            if value == "<<" and event.implicit[0] and in_mapping and key is _EMPTY:
                raise fail(event.start_mark, "merge_key")
            if event.tag is None:
                if event.implicit[0]:  # plain: text unless a resolver's pattern matches (a number, true, null)
                    for _tag, pattern in plain_resolvers.get(value[:1]) or ():
                        if pattern.match(value):
                            value = _scalar_value(scalars, event, fail)
                            break
                # else quoted: always text
            else:
                value = _scalar_value(scalars, event, fail)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            closed = container
            container, in_mapping, path, anchor, start_count = stack.pop()
            key = _EMPTY
            if anchor:
                open_anchors.discard(anchor)
                anchors[anchor] = (closed, count - start_count + 1)
            continue
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            count += 1
            if count > MAX_NODES:
                raise fail(event.start_mark, "too_many_nodes", max=MAX_NODES)
            if len(stack) >= MAX_DEPTH:
                raise fail(event.start_mark, "too_deep", max=MAX_DEPTH)
            default = _MAP if kind is MappingStartEvent else _SEQ
            if event.tag not in (None, "!", default):
                raise fail(event.start_mark, "tag", tag=_show_tag(event.tag))
            value = {} if kind is MappingStartEvent else []
        elif kind is AliasEvent:
            if event.anchor in open_anchors:
                raise fail(event.start_mark, "too_deep", max=MAX_DEPTH)  # a structure that contains itself
            if event.anchor not in anchors:
                raise fail(event.start_mark, "syntax", reason=f"unknown alias *{event.anchor}")
            value, size = anchors[event.anchor]
            count += size
            if count > MAX_NODES:
                raise fail(event.start_mark, "too_many_nodes", max=MAX_NODES)
            if isinstance(value, (dict, list)) and len(stack) + _depth_of(value) > MAX_DEPTH:
                raise fail(event.start_mark, "too_deep", max=MAX_DEPTH)
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise fail(event.start_mark, "several_documents")
            continue
        elif kind is StreamEndEvent:
            return root, locations
        else:
            continue

        # Put the value where it belongs: the root, an item of a list, a mapping's key or its value.
        child_path: DocPath = ()
        if container is None:
            root = value
            if locate:
                locations[()] = (event.start_mark.line + 1, event.start_mark.column + 1)
        elif not in_mapping:
            if locate:
                child_path = path + (len(container),)
                locations[child_path] = (event.start_mark.line + 1, event.start_mark.column + 1)
            container.append(value)
        elif key is not _EMPTY:
            container[key] = value
            if locate:
                child_path = path + (key,)
                locations[child_path] = key_at
            key = _EMPTY
        else:  # this value is a key
            if isinstance(value, (dict, list)):
                raise fail(event.start_mark, "complex_key")
            if kind is ScalarEvent and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = event.value  # a key is a name: '0E0' and '017' stay as written
            new_key = "null" if value is None else (str(value).lower() if isinstance(value, bool) else value)
            new_key = new_key if isinstance(new_key, str) else str(new_key)
            if new_key in container:
                raise fail(event.start_mark, "duplicate_key", key=new_key)
            key = new_key
            if locate:
                key_at = (event.start_mark.line + 1, event.start_mark.column + 1)
        if kind is MappingStartEvent or kind is SequenceStartEvent:
            stack.append((container, in_mapping, path, event.anchor, count))
            container, in_mapping, path = value, kind is MappingStartEvent, child_path
            if event.anchor:
                open_anchors.add(event.anchor)
        elif kind is ScalarEvent and event.anchor:
            anchors[event.anchor] = (value, 1)


def _depth_of(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [v for item in level for v in (item.values() if isinstance(item, dict) else item)
                 if isinstance(v, (dict, list))]
        if depth > MAX_DEPTH:
            break
    return depth


def _scalar_value(scalars: "_Loader", event: Any, fail: Any) -> Any:
    tag = event.tag
    if tag in (None, "!"):
        if not event.implicit[0]:
            return event.value  # quoted: always text
        tag = scalars.resolve(yaml.ScalarNode, event.value, (True, False))
    if tag not in _SCALAR_TAGS:
        raise fail(event.start_mark, "tag", tag=_show_tag(tag))
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
        return event.value  # dates stay text: definitions are JSON data
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
    try:
        if tag == _INT and _DECIMAL.match(event.value):
            value = int(event.value, 10)  # '017' is seventeen, as in JSON-minded YAML 1.2
        else:
            value = scalars.yaml_constructors[tag](scalars, node)
    except (ValueError, LookupError, TypeError, ArithmeticError):
        if tag == _INT and scalars.resolve(yaml.ScalarNode, event.value, (True, False)) == _INT:
            # A well-formed integer too long for Python to convert (over 4300 digits).
            raise fail(event.start_mark, "out_of_range", value=_clip(event.value), rule=f"maximum {MAX_INTEGER}") from None
        # An explicit tag on a value that does not fit it ('!!int abc', '!!bool maybe').
        raise fail(event.start_mark, "syntax", reason=f"'{_clip(event.value)}' is not a valid {_show_tag(tag)}") from None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        raise fail(event.start_mark, "out_of_range", value=_clip(event.value), rule=f"maximum {MAX_INTEGER}")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise fail(event.start_mark, "not_a_number")
    return value


_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"^[-+]?[0-9]+$")
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}


def _show_tag(tag: str) -> str:
    """'!!python/object:x' as written, rather than 'tag:yaml.org,2002:python/object:x'."""
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def dump_canonical(data: Any) -> str:
    """The canonical JSON text of a document, used for content hashes."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
