"""Reading a definition file: safe YAML that refuses a key written twice in one mapping.

PyYAML keeps the last of two equal keys without a word, so a state or a deadline written
twice would silently replace the first. Here the second one is an error naming its line.
"""

from __future__ import annotations

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int, first_line: int) -> None:
        self.key = key
        self.line = line
        super().__init__(f"key {key!r} on line {line} is already used on line {first_line}")


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError as exc:
                raise ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key"
                ) from exc
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DuplicateKey(key, line, seen[key])
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)


def load_yaml(text: str) -> object:
    """The document in `text`; raises yaml.YAMLError (DuplicateKey for a repeated key)."""
    return yaml.load(text, Loader=_StrictLoader)
