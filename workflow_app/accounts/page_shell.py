"""Parts of the page shell (base.html and its partials) rendered once, then reused.

The shell is around every signed-in page, and most of it is the same from one request to the
next: the translated labels, the links of the main menu, the stylesheets. A part is written in
the template as `{% call(slot, …) shell_part(part, *key, slot=value, …) %}…{% endcall %}`: its
body is rendered on the first request for its app, language, script root and `key` (what the
body's conditions read: the endpoint, what the user may open), with a placeholder for each
slot; later requests fill the slots (escaped, as the template would) into the kept text. A slot
is a value that changes per request (the CSRF token, the bell's count, the address); a falsy
value ("", 0, None) is rendered as itself and is part of the key, so the body may test a slot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup, escape

# Bounds the parts kept per app: the keys are few (languages × endpoints × menu shapes),
# unless something unexpected enters them.
_LIMIT = 4096
_SLOT = "\ue000{}\ue000"  # a private-use character: no template text or escape makes it
_SLOTS = re.compile("\ue000([A-Za-z_][A-Za-z0-9_]*)\ue000")


@dataclass(frozen=True, slots=True)
class _Part:
    pieces: tuple[str, ...]  # the kept text, split at the slots
    slots: tuple[str, ...]  # the slot after each piece but the last

    def fill(self, values: dict[str, object]) -> Markup:
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(escape(values[slot]))
            out.append(piece)
        return Markup("".join(out))


def _frozen(value: object) -> object:
    """A key element as a hashable value (a template passes lists of pairs)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


def _rendered(caller: Callable[..., str], values: dict[str, object]) -> _Part:
    given = {name: Markup(_SLOT.format(name)) if value else value for name, value in values.items()}
    split = _SLOTS.split(str(caller(**given)))
    return _Part(tuple(split[0::2]), tuple(split[1::2]))


def shell_part(part: str, /, *key: object, caller: Callable[..., str], **values: object) -> Markup:
    """Template global: the part `part` of the shell for `key`, its slots filled with `values`."""
    if current_app.jinja_env.auto_reload:
        # Templates read again when edited (debug): a kept part would outlive its source.
        return _rendered(caller, values).fill(values)
    parts: dict[tuple[object, ...], _Part] = current_app.extensions.setdefault("page_shell", {})
    found_key = (
        part,
        str(get_locale() or "id"),
        request.script_root,
        _frozen(key),
        tuple((slot, True if value else repr(value)) for slot, value in values.items()),
    )
    found = parts.get(found_key)
    if found is None:
        found = _rendered(caller, values)
        if len(parts) >= _LIMIT:
            parts.clear()
        parts[found_key] = found
    return found.fill(values)
