"""The seed documents entries may cite, by file name, with the titles users see, and the
`Source` an entry cites (a seed or practice guidance)."""

from __future__ import annotations

from dataclasses import dataclass

SEED_TITLES: dict[str, str] = {
    "000_23b929e102732082.txt": "Overcoming resistance to digital government transformation",
    "001_77d7c8f68eeb80a7.txt": "Embracing digital transformation in government",
    "002_882e01340091df2c.txt": "Implementing digital transformation in e-government initiatives",
    "003_8879e093302e6461.txt": "Enterprise digital strategy for government innovation",
    "004_4d4c8dee47bf79ba.txt": "Overcoming internal resistance: an advisory answer",
}


@dataclass(frozen=True)
class Source:
    """What backs an entry: a seed document (`file` set; users see the title), or practice
    guidance that no seed states (`file` empty; `title` says what practice it rests on)."""

    title: str
    file: str = ""

    @property
    def is_practice(self) -> bool:
        return not self.file

    @property
    def label(self) -> str:
        """How surfaces show it: the seed's title, or "Practice guidance: …"."""
        return f"Practice guidance: {self.title}" if self.is_practice else self.title
