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


# ---------------------------------------------------------------- news / encyclopedic templates
# Sports clubs named after places (the same string is ORG as a club and LOC as a place),
# "X of Y" organisations and places, person names with Roman numerals and initials,
# entities at sentence start, places followed by lower-case descriptors (O), capitalised
# non-entities (O) and upper-case headlines / datelines as in Reuters news.
CLUB_SUFFIX = ["FC", "United", "City", "Rovers", "Athletic", "Wanderers", "Town", "Albion", "County",
               "Rangers", "SC", "SV", "CF", "Olympic", "Sport", "Stars", "Athletic Club", "Hotspur"]
CLUB_PREFIX = ["Real", "Dinamo", "Dynamo", "Sporting", "Atletico", "Racing", "FC", "AC", "AS", "Olympique",
               "Lokomotiv", "Spartak", "Sparta", "Slavia", "Hajduk", "Borussia", "Inter", "Union", "Rapid",
               "Austria", "Red Star", "Vitesse", "Standard", "Olympia", "Dukla", "Torpedo", "Zenit", "Lech",
               "Legia", "Wisla", "Fortuna", "Eintracht", "Hertha", "Bayer", "Deportivo", "Club", "Young Boys",
               "Sheffield", "CSKA", "Shakhtar", "Dnipro", "Rot-Weiss", "Stade", "Girondins", "Grasshopper"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI"]
TITLES = ["King", "Queen", "Pope", "Emperor", "Empress", "Tsar", "Prince", "Princess", "Duke", "Sultan",
          "President", "Prime Minister", "General", "Bishop", "Saint", "Chancellor", "Sir", "Dr", "Mr", "Mrs"]
OF_ORG = ["University", "Bank", "Ministry", "League", "Church", "Council", "Federation", "Institute",
          "Academy", "Archdiocese", "Department", "Museum", "Court", "Society", "Chamber of Commerce",
          "Royal Academy", "National Bank", "Central Bank", "Supreme Court", "High Court", "Diocese",
          "Order", "Bank of", "College", "Parliament", "Assembly", "Association", "Union", "Port Authority"]
OF_SUBJ = ["Finance", "Defence", "Defense", "Health", "Nations", "Science", "Technology", "Agriculture",
           "Justice", "Education", "Foreign Affairs", "Arts", "Commerce", "Trade", "Labour", "Transport",
           "Culture", "Medicine", "Engineers", "Physicians", "Saint John", "the Holy Sepulchre",
           "Science and Technology", "Economics", "Music", "Natural History", "Fine Arts", "Mines"]
OF_LOC = ["Gulf", "Bay", "Isle", "Strait", "Kingdom", "Republic", "Duchy", "County", "Province",
          "Sea", "Cape", "Lake", "Mount", "Principality", "Free State", "Port"]
LOC_DESC = ["river", "mountains", "valley", "region", "province", "basin", "delta", "area", "coast",
            "district", "plateau", "peninsula", "estuary", "hills", "border", "lowlands"]
CAP_O = ["Iron", "Bronze", "Stone", "Romans", "Roman", "Greek", "Greeks", "Victorian", "Gothic", "Baroque",
         "Renaissance", "Meiji", "Tudor", "Catholic", "Protestant", "Muslim", "Christian", "Buddhist",
         "Medieval", "Ancient", "Western", "Eastern", "Northern", "Southern", "Latin", "Arabic", "Norse",
         "Soviet", "Imperial", "Communist", "Socialist", "Liberal", "Conservative", "Olympic", "Vikings",
         "Normans", "Celts", "Saxons", "Moors", "Byzantine", "Ottoman", "Mughal", "Edwardian", "Georgian",
         "Neolithic", "Jurassic", "Romanesque", "Crusaders", "Pilgrims", "Settlers", "Monks", "Traders",
         "Engineers", "Farmers", "Officials", "Troops", "Rebels", "Fans", "Shares", "Prices", "Police",
         "British", "French", "German", "Italian", "Spanish", "Dutch", "Russian", "Chinese", "Japanese",
         "American", "English", "Scottish", "Irish", "Swiss", "Polish", "Turkish", "Arab", "Persian",
         "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
         "March", "April", "June", "July", "September", "October", "November", "December"]
PEOPLES = ["Romans", "Greeks", "Vikings", "Normans", "Celts", "Saxons", "Moors", "Mongols", "Franks", "Goths",
           "Huns", "Aztecs", "Incas", "Persians", "Arabs", "Phoenicians", "Etruscans", "Visigoths"]
CAP_O = [w for w in CAP_O if w not in PEOPLES and w not in ("British", "French", "German", "Italian", "Spanish",
         "Dutch", "Russian", "Chinese", "Japanese", "American", "English", "Scottish", "Irish", "Swiss", "Polish",
         "Turkish", "Arab", "Persian", "Roman", "Greek", "Byzantine", "Ottoman", "Norse", "Latin", "Arabic",
         "Mughal", "Soviet")]


def _city1(gaz, rng):
    c = rng.choice(gaz["CITY"])
    return _split(c)


def _club(gaz, rng, city=None):
    c = city or _city1(gaz, rng)
    r = rng.random()
    if r < 0.3:
        return c
    if r < 0.6:
        return c + _split(rng.choice(CLUB_SUFFIX))
    if r < 0.9:
        return _split(rng.choice(CLUB_PREFIX)) + c
    if r < 0.95:
        return [rng.choice(gaz["PER"])]  # one-word foreign-looking club names
    return _split(rng.choice(CLUB_PREFIX)) + [rng.choice(gaz["PER"])]


def _per_x(gaz, rng):
    first, last = rng.choice(gaz["PER"]), rng.choice(gaz["PER"])
    ini = lambda: rng.choice("ABCDEFGHIJKLMNOPRSTW") + "."
    r = rng.random()
    if r < 0.25:
        return [first, rng.choice(ROMAN)]
    if r < 0.45:
        return [first, ini(), last]
    if r < 0.65:
        return [ini() for _ in range(rng.choice([1, 2, 2, 3]))] + [last]
    if r < 0.72:
        return [first, last, rng.choice(["Jr.", "Jr", "Sr."])]
    if r < 0.82:
        return [first] + rng.choice(["von", "van", "de", "da", "di", "bin", "van der", "de la"]).split() + [last]
    if r < 0.9:
        return [first, rng.choice(gaz["PER"]), last]
    return [last]


def _org_of(gaz, rng):
    head = rng.choice(OF_ORG)
    if head.endswith(" of"):
        head = head[:-3]
    r = rng.random()
    if r < 0.4:
        tail = _split(rng.choice(gaz["CITY"] if rng.random() < 0.6 else gaz["COUNTRY"]))
    elif r < 0.75:
        tail = rng.choice(OF_SUBJ).split()
    else:
        tail = rng.choice(OF_SUBJ).split() + ["of"] + _split(rng.choice(gaz["COUNTRY"]))
    name = head.split() + ["of"] + tail
    r = rng.random()
    if r < 0.15:
        name = _split(rng.choice(gaz["CITY"])) + name  # Hanoi University of Science
    elif r < 0.3:
        name = _split(rng.choice(gaz["CITY"])) + [rng.choice(["University", "College", "Chamber of Commerce",
                                                            "Symphony Orchestra", "Stock Exchange", "City Council",
                                                            "Polytechnic", "Cathedral Chapter"])]
        name = [w for x in name for w in x.split()]
    elif r < 0.37:
        name = name + ["Press"]
    return name


def _loc_of(gaz, rng):
    return [rng.choice(OF_LOC), "of"] + _split(rng.choice(gaz["CITY"] if rng.random() < 0.5 else gaz["COUNTRY"]))


def _desc_loc(gaz, rng):
    return _split(rng.choice(gaz["CITY"]).split(" ")[0] if rng.random() < 0.5 else rng.choice(gaz["LOC"]))


NEWS_MAKERS = {"CLUB": ("ORG", _club), "PERX": ("PER", _per_x), "ORGOF": ("ORG", _org_of),
               "LOCOF": ("LOC", _loc_of), "DLOC": ("LOC", _desc_loc),
               "COUNTRY": ("LOC", lambda g, r: _split(r.choice(g["COUNTRY"]))),
               "CITY": ("LOC", lambda g, r: _split(r.choice(g["CITY"]))),
               "PER": ("PER", _per), "ORG": ("ORG", _org), "LOC": ("LOC", _loc)}

def _stadium(gaz, rng):
    pre, post = rng.choice(STADIUM)
    name = _split(rng.choice(gaz["PER"] if rng.random() < 0.5 else gaz["CITY"]))
    return ([pre] if pre else []) + name + ([post] if post else [])


NEWS_MAKERS["STADIUM"] = ("LOC", _stadium)

NEWS_TEMPLATES = [
    "{CLUB} beat {CLUB} {S} in {CITY} on {DAY} .",
    "{CLUB} {N} {CLUB} {N}",
    "{CLUB} {N} {CLUB} {N}",
    "{CLUB} drew {S} with {CLUB} , while {CLUB} lost {S} at {CLUB} .",
    "{CLUB} striker {PER} scored twice as his side won {S} at {CLUB} .",
    "{CLUB} coach {PER} said his team deserved the draw against {CLUB} .",
    "{CLUB} signed {PER} from {CLUB} on a three-year contract .",
    "{CLUB} lead the championship by two points from {CLUB} , with {CLUB} third .",
    "{CLUB} were held {S} at home by {CLUB} in front of 20,000 fans .",
    "{CLUB} manager {PER} was sacked after the {S} defeat by {CLUB} .",
    "{=CLUB} beat {CLUB} {S} in {=CITY} .",
    "{=CITY} is a city in {COUNTRY} and home to {=CLUB} , who play in the first division .",
    "Fans of {=CLUB} celebrated in the streets of {=CITY} after the win over {CLUB} .",
    "{=CLUB} , the club from {=CITY} , reached the final for the first time .",
    "{PER} of {COUNTRY} beat {PER} {T} to reach the final in {CITY} .",
    "{COUNTRY} were bowled out for {NN} in reply to {COUNTRY} 's total at {CITY} .",
    "{COUNTRY} beat {COUNTRY} {S} in a World Cup qualifier in {CITY} .",
    "{PER} ( {COUNTRY} ) won the race in {CITY} ahead of {PER} ( {COUNTRY} ) .",
    "{ORGOF} said on {DAY} that it would cut jobs in {CITY} .",
    "The {ORGOF} was founded in {Y} in {CITY} by {PER} .",
    "{PER} studied at the {ORGOF} and later worked for the {ORGOF} .",
    "The {ORGOF} and the {ORG} signed an agreement in {CITY} .",
    "{ORGOF} governor {PER} warned that inflation would rise .",
    "He was appointed to the {ORGOF} in {Y} .",
    "{LOCOF} lies between {COUNTRY} and {COUNTRY} .",
    "The ships crossed the {LOCOF} and reached {CITY} in {MONTH} .",
    "{PERX} was born in {CITY} in {Y} and died in {CITY} .",
    "{PERX} succeeded {PERX} as ruler of {COUNTRY} in {Y} .",
    "{TITLE} {PERX} married {PERX} at {CITY} in {Y} .",
    "{PERX} taught at the {ORGOF} for twenty years .",
    "In {Y} , {PERX} founded {ORG} in {CITY} .",
    "{PERX} met {PERX} in {CITY} to discuss the war in {COUNTRY} .",
    "{TITLE} {PERX} moved the court from {CITY} to {CITY} .",
    "The {DLOC} {DESC} is known for its vineyards and castles .",
    "The {DLOC} {DESC} lies north of {CITY} .",
    "Settlers moved into the {DLOC} {DESC} from {DLOC} in the {ORD} century .",
    "The road runs through {DLOC} and {DLOC} before reaching the {DLOC} {DESC} .",
    "{DLOC} and {DLOC} are the largest towns in the {DLOC} {DESC} .",
    "{CAPO} traders settled in {CITY} in the {ORD} century .",
    "{CAPO} {LOWER} was common in {DLOC} and {DLOC} .",
    "{CAPO} officials met representatives of {ORG} in {CITY} .",
    "{CITY} is a town in {DLOC} about {NN} kilometres from {CITY} .",
    "{CITY} , the capital of {COUNTRY} , lies on the coast .",
    "{ORG} , based in {CITY} , bought a stake in {ORG} .",
    "{ORGOF} , based in {CITY} , has {NN} members .",
    "{PER} , a spokesman for {ORG} , said in {CITY} that talks had failed .",
    "{CITYU} {DATE}",
    "{CITYU} , {COUNTRY} {DATE}",
    "{CLUBU} {N} {CLUBU} {N}",
    "{COUNTRY} {N} {COUNTRY} {N}",
    "{COUNTRYU} {N} {COUNTRYU} {N}",
    "{COUNTRY} reached {NN} for two at the close , with {PER} unbeaten on {NN} .",
    "{PER} made an unbeaten {NN} as {COUNTRY} beat {COUNTRY} by five wickets in {CITY} .",
    "{COUNTRY} drew {S} with {COUNTRY} in {CITY} and qualified for the finals .",
    "{CLUB} and {CLUB} drew {S} at the {STADIUM} on {DAY} .",
    "The final will be played at the {STADIUM} in {CITY} .",
    "{CLUB} won the {NAT} title for the third year running after beating {CLUB} .",
    "{CLUB} paid a club record fee to sign the {NAT} forward from {CLUB} .",
    "The {NAT} midfielder {PER} joined {CLUB} from {CLUB} .",
    "{PER} , the {NAT} champion , lost to {PER} of {COUNTRY} in {CITY} .",
    "{NAT} officials said {PERX} would visit {CITY} and {CITY} next week .",
    "{NAT} troops entered {CITY} in {Y} , according to {NAT} sources .",
    "The {NAT} government and {ORG} agreed on the plan , {PER} said .",
    "{PERX} travelled from {CITY} to {CITY} and back in the {ORD} century .",
    "{PERX} led the armies that conquered {COUNTRY} and {COUNTRY} .",
    "{PERX} was a {NAT} explorer who reached {CITY} in {Y} .",
    "{PERX} , ruler of {COUNTRY} , died at {CITY} in {Y} .",
    "{PER} became the first {NAT} president of {ORG} .",
    "{PERX} and {PERX} were both members of the {ORG} .",
    "{PER} beat {PER} {T} in the second round .",
    "{PERU} TO MEET {PERU} IN {CITYU} .",
    "{SPORTU} - {CLUBU} BEAT {CLUBU} IN {CITYU} .",
    "{NATN} built a fort at {CITY} on the bank of the {DLOC} .",
    "{NATN} settled in {DLOC} and {DLOC} in the {ORD} century .",
]
NATIONALITY = ["British", "French", "German", "Italian", "Spanish", "Dutch", "Russian", "Chinese", "Japanese",
               "American", "English", "Scottish", "Irish", "Swiss", "Polish", "Turkish", "Portuguese", "Belgian",
               "Norwegian", "Swedish", "Danish", "Greek", "Austrian", "Brazilian", "Argentine", "Mexican",
               "Australian", "Canadian", "Indian", "Pakistani", "Egyptian", "Nigerian", "Kenyan", "Croatian",
               "Serbian", "Czech", "Hungarian", "Romanian", "Ukrainian", "Israeli", "Iranian", "Korean",
               "Scandinavian", "European", "African", "Asian", "Latin American", "Arab", "Persian", "Roman",
               "Byzantine", "Ottoman", "Minoan", "Basque", "Catalan", "Flemish", "Welsh", "Finnish"]
STADIUM = [("Stade", None), ("Stadio", None), ("Estadio", None), (None, "Stadium"), (None, "Park"),
           (None, "Arena"), (None, "Road"), ("Parc des", None)]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_LOWER = ["architecture", "pottery", "farming", "trade", "art", "rule", "influence", "settlement"]


def _fill_news(template, gaz, rng):
    toks, tags = [], []
    shared = _city1(gaz, rng)
    for part in template.split():
        if not (part.startswith("{") and part.endswith("}")):
            toks.append(part)
            tags.append("O")
            continue
        key = part[1:-1]
        words, typ = None, None
        if key == "S":
            words = ["%d-%d" % (rng.randint(0, 5), rng.randint(0, 4))]
        elif key == "N":
            words = [str(rng.randint(0, 6))]
        elif key == "NN":
            words = [str(rng.randint(2, 40) * 10)]
        elif key == "T":
            words = ["6-%d" % rng.randint(0, 4), "%d-6" % rng.randint(0, 4), "7-5"][: rng.randint(2, 3)]
        elif key == "Y":
            words = [str(rng.randint(1100, 1999))]
        elif key == "DAY":
            words = [rng.choice(_DAYS)]
        elif key == "MONTH":
            words = [rng.choice(_MONTHS)]
        elif key == "ORD":
            words = [rng.choice(["twelfth", "fifteenth", "seventeenth", "eighteenth", "nineteenth"])]
        elif key == "DESC":
            words = [rng.choice(LOC_DESC)]
        elif key == "CAPO":
            words = [rng.choice(CAP_O)]
        elif key == "LOWER":
            words = [rng.choice(_LOWER)]
        elif key == "TITLE":
            words = rng.choice(TITLES).split()
        elif key == "DATE":
            words = ["199%d-%02d-%02d" % (rng.randint(0, 9), rng.randint(1, 12), rng.randint(1, 28))]
        elif key == "=CLUB":
            words, typ = _club(gaz, rng, shared), "ORG"
        elif key == "=CITY":
            words, typ = list(shared), "LOC"
        elif key == "CITYU":
            words, typ = [w.upper() for w in _split(rng.choice(gaz["CITY"]))], "LOC"
        elif key == "NATN":
            words, typ = [rng.choice(PEOPLES)], "MISC"
        elif key == "NAT":
            words, typ = rng.choice(NATIONALITY).split(), "MISC"
        elif key == "COUNTRYU":
            words, typ = [w.upper() for w in _split(rng.choice(gaz["COUNTRY"]))], "LOC"
        elif key == "PERU":
            words, typ = [w.upper() for w in _per(gaz, rng)], "PER"
        elif key == "SPORTU":
            words = [rng.choice(["SOCCER", "CRICKET", "TENNIS", "RUGBY", "BASKETBALL", "GOLF", "ATHLETICS"])]
        elif key == "CLUBU":
            words, typ = [w.upper() for w in _club(gaz, rng)], "ORG"
        else:
            typ, mk = NEWS_MAKERS[key]
            words = mk(gaz, rng)
        toks += words
        if typ:
            tags += ["B-" + typ] + ["I-" + typ] * (len(words) - 1)
        else:
            tags += ["O"] * len(words)
    if rng.random() < 0.06:  # upper-case headlines
        toks = [t.upper() for t in toks]
    return toks, tags


def augment(train, gaz, rng, swap_frac=0.5, n_templates=3000, n_news=0):
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
    for _ in range(n_news):
        out.append(_fill_news(rng.choice(NEWS_TEMPLATES), gaz, rng))
    return out
