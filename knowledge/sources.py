"""The seed documents entries may cite, by file name, with the titles users see."""

SEED_TITLES: dict[str, str] = {
    "000_23b929e102732082.txt": "Overcoming resistance to digital government transformation",
    "001_77d7c8f68eeb80a7.txt": "Embracing digital transformation in government",
    "002_882e01340091df2c.txt": "Implementing digital transformation in e-government initiatives",
    "003_8879e093302e6461.txt": "Enterprise digital strategy for government innovation",
    "004_4d4c8dee47bf79ba.txt": "Overcoming internal resistance: an advisory answer",
}
