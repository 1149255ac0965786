"""Gazetteers from openly licensed npm packages (MIT): person names and company names
(@cspell/dict-people-names, @cspell/dict-companies), cities (cities-list) and
countries/capitals (countries-list). Used two ways:
  * token_features: per-vocabulary-entry flags (PER name, ORG name, LOC name, ORG
    designator such as "Inc"), stored as a constant table inside the ONNX graph;
  * augment: copies of training sentences whose entity strings are swapped for
    gazetteer entries of the same type, plus simple encyclopedic-style sentences.
"""
import json
import os
import random

import numpy as np

import data

GAZ = os.path.join(data.CACHE, "gaz")
PACKAGES = ["@cspell/dict-companies@3.2.14", "@cspell/dict-people-names@1.1.16",
            "cities-list@1.0.3", "countries-list@3.4.1"]

ORG_WORDS = ["Inc", "Corp", "Corporation", "Ltd", "LLC", "PLC", "Co", "Company", "Group", "Holdings",
             "Bank", "University", "College", "Institute", "Association", "Party", "Council",
             "Committee", "Ministry", "Agency", "Foundation", "Society", "Federation", "Union",
             "Club", "FC", "United", "Airlines", "Records", "Studios", "Press", "Times", "News",
             "Department", "Commission", "League", "Organization", "Organisation", "Church",
             "School", "Hospital", "Museum", "Fund", "Trust", "Partners", "Systems", "Technologies",
             "Motors", "Energy", "Pharmaceuticals", "Communications", "Entertainment", "Industries",
             "Network", "Army", "Navy", "Police", "Parliament", "Senate", "Congress", "Court", "Board"]


def _read_words(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def load():
    p = lambda *a: os.path.join(GAZ, *a)
    people = _read_words(p("cspell-dict-people-names-1.1.16", "package", "dict", "people-names.txt"))
    companies = _read_words(p("cspell-dict-companies-3.2.14", "package", "dict", "companies.txt"))
    cities = _read_words(p("cities-list-1.0.3", "package", "list.txt"))
    countries = json.load(open(p("countries-list-3.4.1", "package", "countries.min.json"), encoding="utf-8"))
    country_names = sorted({c["name"] for c in countries.values()})
    capitals = sorted({c["capital"] for c in countries.values() if c.get("capital")})
    people = [w for w in people if w[:1].isupper() and w.isalpha() and len(w) > 2]
    companies = [w for w in companies if len(w) > 2 and w[:1].isupper()]
    cities = [c for c in cities if c[:1].isupper()]
    return {"PER": people, "ORG": companies, "LOC": sorted(set(cities) | set(country_names) | set(capitals)),
            "COUNTRY": country_names, "CITY": sorted(set(cities) | set(capitals)), "ORGW": ORG_WORDS}


def vocab_words(gaz):
    """Single-token gazetteer entries worth adding to the vocabulary as whole words."""
    ws = set()
    for k in ("PER", "ORG", "LOC", "ORGW"):
        for e in gaz[k]:
            if " " not in e and "-" not in e and "." not in e:
                ws.add(e)
    return sorted(ws)


N_GAZ = 16  # combinations of the four flags


def token_features(vocab, gaz):
    """[V] uint8: bit 0 PER name, bit 1 ORG name, bit 2 LOC name, bit 3 ORG designator."""
    sets = [set(gaz["PER"]), set(gaz["ORG"]),
            {w for e in gaz["LOC"] if " " not in e for w in [e]}, set(gaz["ORGW"])]
    f = np.zeros(len(vocab), dtype=np.uint8)
    for t, i in vocab.items():
        for k, s in enumerate(sets):
            if t in s:
                f[i] |= 1 << k
    return f


def _split(s):
    return s.replace("-", " - ").split()


def _org(gaz, rng):
    name = rng.choice(gaz["ORG"])
    r = rng.random()
    if r < 0.35:
        return [name, rng.choice(["Inc", "Corp", "Ltd", "Group", "Holdings", "Co", "PLC", "LLC"])] + ([] if rng.random() < 0.7 else ["."])[:0]
    if r < 0.5:
        return [rng.choice(gaz["PER"]), rng.choice(["University", "Foundation", "Institute", "Bank", "Records", "Motors"])]
    if r < 0.65:
        return [rng.choice(gaz["CITY"]).split()[0], rng.choice(["FC", "United", "City", "Council", "University", "Airlines", "Times"])]
    if r < 0.75:
        return ["University", "of", rng.choice(gaz["CITY"]).split()[0]]
    return [name]


def _per(gaz, rng):
    n = [rng.choice(gaz["PER"]), rng.choice(gaz["PER"])]
    if rng.random() < 0.15:
        n = [n[1]]
    return n


def _loc(gaz, rng):
    return _split(rng.choice(gaz["COUNTRY"] if rng.random() < 0.3 else gaz["CITY"]))


MAKERS = {"PER": _per, "ORG": _org, "LOC": _loc}

TEMPLATES = [
    "{PER} was born in {LOC} and studied at {ORG} .",
    "{ORG} is a company based in {LOC} .",
    "{PER} , the chief executive of {ORG} , said on Monday that sales in {LOC} had fallen .",
    "The {ORG} announced that {PER} would lead its office in {LOC} .",
    "{PER} joined {ORG} in 1998 after working in {LOC} for ten years .",
    "In 2004 , {ORG} acquired a stake in {ORG} for $ 2 billion .",
    "{LOC} is a city in {LOC} .",
    "{PER} met {PER} in {LOC} on Tuesday .",
    "Shares of {ORG} rose 3 percent after {ORG} reported higher profits .",
    "{PER} played for {ORG} before moving to {LOC} .",
    "According to {ORG} , the population of {LOC} grew last year .",
    "{PER} ( born 1952 ) is a former member of the {ORG} .",
    "She was elected to the {ORG} in 1990 and later served as mayor of {LOC} .",
    "The river flows through {LOC} into {LOC} .",
    "{ORG} signed {PER} on a two-year contract .",
    "He moved to {LOC} , where he founded {ORG} with {PER} .",
]


def _fill(template, gaz, rng):
    toks, tags = [], []
    for part in template.split():
        if part.startswith("{") and part.endswith("}"):
            typ = part[1:-1]
            ent = MAKERS[typ](gaz, rng)
            toks += ent
            tags += ["B-" + typ] + ["I-" + typ] * (len(ent) - 1)
        else:
            toks.append(part)
            tags.append("O")
    return toks, tags


def augment(train, gaz, rng, swap_frac=0.5, n_templates=3000):
    """Entity-swapped copies of a fraction of sentences with entities, plus templates."""
    out = []
    with_ents = [s for s in train if any(t != "O" for t in s[1])]
    for toks, tags in with_ents:
        if rng.random() >= swap_frac:
            continue
        nt, ng, i = [], [], 0
        for typ, a, b in data.spans(tags) + [(None, len(toks), len(toks))]:
            nt += toks[i:a]
            ng += tags[i:a]
            if typ is None:
                break
            if typ in MAKERS and rng.random() < 0.7:
                ent = MAKERS[typ](gaz, rng)
            else:
                ent = toks[a:b]
            nt += ent
            ng += ["B-" + typ] + ["I-" + typ] * (len(ent) - 1)
            i = b
        out.append((nt, ng))
    for _ in range(n_templates):
        out.append(_fill(rng.choice(TEMPLATES), gaz, rng))
    return out
