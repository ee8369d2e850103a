"""Everyday words that mean the same thing on a street, in British and American English.

Each group is a set of phrases that can stand in for one another when matching an ask to an
offer: someone who asks for a "hoover" is helped by a neighbour lending a "vacuum cleaner".
Phrases are written as people type them; PostgreSQL's English stemmer normalises them the same
way as the offers and asks (so "hedges" finds "hedge", "mowing" finds "mow").

Rules for adding a group:
- Only words that really stand in for each other in an ask ("pushchair" and "stroller"), or a
  job and the word people use for it ("cut" and "prune" a hedge). Not merely related things.
- Prefer phrases to single ambiguous words: "jump leads" rather than "jumper" (a sweater), and
  leave "jigsaw" out (a saw, or a puzzle?).
- When an ask contains a longer phrase, the shorter phrases inside it do not count on their own:
  "hedge trimmer" is the tool, not also "hedge".
- Check tests/data/matching_pairs.json still scores at least as well (`python -m streetshare.matching.evaluate`).

STOP_WORDS are words that say nothing about what is needed or offered ("anyone", "borrow",
"Saturday"): they never make a match on their own and are never given as a reason.
"""

from __future__ import annotations

GROUPS: tuple[tuple[str, ...], ...] = (
    # --- garden tools and jobs
    ("hedge trimmer", "hedge cutter", "hedge clippers", "hedge shears", "hedgetrimmer"),
    ("strimmer", "line trimmer", "string trimmer", "weed whacker", "weed wacker", "weed eater", "grass trimmer",
     "edge trimmer", "trimmer", "strimer", "strimmmer", "strimma"),
    ("lawnmower", "lawn mower", "mower", "grass cutter", "mowing", "mow the lawn", "cut the grass", "grass cutting",
     "cut my grass", "lawnmover", "lawn mover", "lawnmowr", "mow my lawn", "lawn mowing"),
    ("hedge", "hedges", "shrub", "bush", "hedging"),
    ("cut", "cut back", "trim", "prune", "lop", "tidy up"),
    ("leaf blower", "leaf vacuum", "garden vac", "blower", "leafblower"),
    ("secateurs", "pruners", "pruning shears", "loppers"),
    ("spade", "shovel"),
    ("wheelbarrow", "barrow"),
    ("hose", "hosepipe", "garden hose"),
    ("garden", "yard", "back garden"),
    ("weeding", "weeds", "weed"),
    ("allotment", "vegetable patch", "veg patch", "vegetable garden"),
    ("compost", "manure", "mulch"),
    ("courgette", "zucchini"),
    ("aubergine", "eggplant"),
    ("coriander", "cilantro"),
    ("water plants", "watering", "plant sitting", "water my plants"),
    ("pressure washer", "jet washer", "power washer", "jet wash", "pressure wash"),
    # --- tools and DIY
    ("drill bits", "drill bit", "masonry bits", "bits for a drill"),
    ("drill", "power drill", "cordless drill", "hammer drill", "drill driver", "combi drill", "drll", "dril"),
    ("ladder", "stepladder", "step ladder", "extension ladder", "loft ladder", "step ladders", "stepladders",
     "ladders", "lader"),
    ("spanner", "wrench"),
    ("sander", "sanding", "orbital sander"),
    ("saw", "handsaw", "hacksaw", "circular saw", "mitre saw"),
    ("toolbox", "tool kit", "toolkit", "tool box", "tools"),
    ("extension lead", "extension cord", "extension cable", "power strip"),
    ("jump leads", "jumper cables", "jump start", "flat battery", "booster cables", "jump leeds", "won't start",
     "wont start", "dead battery", "battery's flat", "battery is flat"),
    ("sellotape", "sticky tape", "scotch tape", "tape"),
    ("tape measure", "measuring tape"),
    ("wallpaper steamer", "wallpaper stripper", "strip wallpaper"),
    ("tile cutter", "tiling", "tiles"),
    ("decorating", "painting", "decorator", "paint", "emulsion", "painted", "repaint", "painter"),
    ("shelves", "shelf", "shelving", "put up shelves"),
    ("flat pack", "flatpack", "flat-pack", "assemble", "furniture assembly", "put together", "ikea"),
    ("sack truck", "hand truck", "dolly", "sack trolley"),
    ("carpet cleaner", "rug doctor", "carpet shampooer", "carpet washer"),
    ("stud finder", "stud detector", "wall scanner"),
    # --- house and kitchen
    ("hoover", "vacuum cleaner", "vacuum", "hoovering", "vacuuming", "vac", "dyson",
     "vacum", "vaccum", "vaccuum", "vacume", "hoova", "vacum cleaner", "vaccum cleaner", "hoover cleaner"),
    ("sofa", "couch", "settee"),
    ("fridge", "refrigerator"),
    ("freezer", "chest freezer"),
    ("cooker", "stove", "oven", "hob"),
    ("tap", "faucet"),
    ("curtains", "drapes"),
    ("duvet", "comforter", "quilt"),
    ("slow cooker", "crockpot", "crock pot"),
    ("stand mixer", "food mixer", "kitchenaid", "kenwood chef"),
    ("blender", "liquidiser", "liquidizer", "smoothie maker"),
    ("bread maker", "breadmaker", "bread machine"),
    ("jam jars", "kilner jars", "jars"),
    ("cool box", "coolbox", "cooler", "cool bag"),
    ("saucepan", "pan", "stock pot", "stockpot", "cooking pot", "big pot", "casserole dish"),
    ("dehumidifier", "dehumidifer", "dehumidifyer", "dehumidfier"),
    ("barbecue", "bbq", "barbeque", "grill"),
    ("bin bags", "trash bags", "rubbish bags", "bin liners", "refuse sacks"),
    ("rubbish", "trash", "garbage", "junk", "waste"),
    ("skip", "dumpster"),
    ("tip", "dump", "recycling centre", "recycling center", "household waste", "rubbish tip", "tip run", "dump run",
     "recycling", "recyling centre", "recycle centre", "household waste recycling centre", "hwrc"),
    ("removals", "removal", "moving house", "house move", "man with a van", "van"),
    ("iron", "ironing", "ironing board", "steam iron", "do my ironing"),
    # --- children
    ("pushchair", "stroller", "buggy", "pram", "travel system", "push chair", "pushchar"),
    ("nappy", "nappies", "diaper", "diapers", "nappys", "nappie"),
    ("cot", "crib", "travel cot", "cot bed"),
    ("high chair", "highchair", "booster seat"),
    ("car seat", "baby seat", "child seat"),
    ("dummy", "pacifier"),
    ("babysitting", "babysitter", "childcare", "childminding", "nanny", "babysit", "baby sitter", "baby sitting",
     "babysiter"),
    ("baby clothes", "babygrows", "baby grows", "onesies", "sleepsuits"),
    ("paddling pool", "kiddie pool", "wading pool"),
    ("tutoring", "tutor", "homework help"),
    ("maths", "math", "mathematics"),
    # --- clothes
    ("jumper", "sweater", "pullover"),
    ("trousers", "pants"),
    ("wellies", "wellington boots", "rain boots", "rubber boots", "gumboots", "wellys", "welly", "wellington"),
    ("coat", "jacket", "anorak", "parka"),
    ("trainers", "sneakers", "running shoes"),
    ("sewing", "hemming", "alterations", "mending", "take up trousers", "sew"),
    # --- getting about and errands
    ("lift", "ride", "drive me", "give me a lift", "lifts", "drive", "driving"),
    ("bike", "bicycle", "cycle", "bycicle", "bicycel"),
    ("bike rack", "cycle rack", "bike carrier", "bicycle rack"),
    ("puncture", "bike repair", "bicycle repair", "inner tube", "fix my bike"),
    ("shopping", "groceries", "supermarket", "food shop"),
    ("prescription", "pharmacy", "chemist", "medicine", "prescriptions", "perscription", "meds"),
    ("hospital", "appointment", "clinic", "gp", "doctor", "surgery", "hosptial", "dentist"),
    ("parcel", "package", "parcels", "deliveries"),
    ("petrol", "gasoline"),
    ("holiday", "vacation"),
    ("roof box", "roof rack", "car top box"),
    ("dog walking", "dog walker", "walk my dog", "walk the dog", "dog sitting"),
    ("cat sitting", "feed my cat", "feed the cat", "pet sitting", "pet sitter"),
    # --- outdoors and fun
    ("gazebo", "pop-up tent", "canopy", "marquee", "event shelter"),
    ("tent", "camping tent"),
    ("torch", "flashlight", "head torch", "headtorch"),
    ("flask", "thermos"),
    ("bike helmet", "cycle helmet", "helmet"),
    # --- tech
    ("computer", "laptop", "pc", "computers"),
    ("mobile phone", "cell phone", "cellphone", "smartphone", "phone", "iphone", "android", "mobile", "phones"),
    ("wifi", "wi-fi", "broadband", "internet", "router"),
    ("printer", "printing", "print"),
    ("films", "movies", "dvds", "dvd"),
    ("book", "books", "novel", "novels", "paperback", "paperbacks"),
    # --- work and paperwork
    ("cv", "résumé", "resume", "curriculum vitae", "job application", "job applications", "cover letter",
     "covering letter", "applying for jobs", "application form", "cvs"),
    ("interview practice", "mock interview", "job interview", "interview"),
    ("guitar", "guitar lessons", "guitar teacher"),
    ("oven cleaning", "clean my oven", "oven clean", "clean the oven"),
    ("moving boxes", "cardboard boxes", "packing boxes", "removal boxes", "boxes for moving"),
)

# Words that say nothing about the need itself. Written as people type them; stemmed by PostgreSQL.
STOP_WORDS: tuple[str, ...] = (
    "need", "needed", "needs", "want", "wanted", "wanting", "looking", "look", "seeking", "require", "required",
    "anyone", "anybody", "someone", "somebody", "everyone", "neighbour", "neighbours", "neighbor", "neighbors",
    "borrow", "borrowing", "lend", "lending", "loan", "give", "giving", "away", "free", "spare", "offer",
    "offering", "ask", "asking", "request", "please", "thank", "thanks", "cheers", "help", "helping", "helper",
    "hand", "could", "would", "like", "love", "just", "get", "got", "have", "use", "used", "using", "one", "ones",
    "bit", "little", "small", "big", "large", "good", "great", "old", "new", "nice", "happy", "available",
    "can", "will", "also", "really", "much", "many", "thing", "things", "stuff", "item", "items", "anything",
    "something", "day", "days", "week", "weeks", "weekend", "weekends", "morning", "mornings", "afternoon",
    "evening", "evenings", "today", "tomorrow", "tonight", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "saturdays", "sunday", "sundays", "time", "hour", "hours", "couple", "few", "back",
    "quick", "quickly", "asap", "urgent", "urgently", "soon", "next", "last", "month", "year", "years", "ago",
    "around", "near", "nearby", "local", "street", "road", "job", "jobs", "work", "working", "condition",
    "perfect", "fine", "ok", "okay", "sure", "collect", "collection", "pick", "drop", "return", "returned",
    "well", "kind", "kindly", "own", "keep", "make", "go", "going", "come", "take", "put", "set", "sort",
    "fix", "fixed", "able", "willing", "glad", "welcome", "every", "often", "sometimes", "usually", "still",
    "please", "x", "pm", "am",
    # where in the house: the need is what is done there ("need my living room painted")
    "room", "rooms", "living", "lounge", "hall", "hallway", "landing", "bedroom", "bathroom", "upstairs", "downstairs",
    # chat
    "favour", "favours", "favor", "query", "question", "advice", "recommendation", "recommendations", "recommend", "trip",
    "mon", "tue", "tues", "wed", "weds", "thu", "thur", "thurs", "fri",
    "proper", "pls", "plz", "ta", "any1", "some1", "anyone's", "wont", "can't", "cant", "im", "i'm", "hi", "hiya", "thx",
)

# What an ask in each category is about, whatever its words: an offer whose title is only this
# ("Garden help on Saturdays", "Odd jobs around the house") suits any ask in the category.
# Generic words only: "lift" is a particular favour, not what every ask in Lifts & errands wants.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "tools": ("tools",),
    "garden": ("garden", "gardening"),
    "kitchen": ("kitchen", "cooking"),
    "children": ("children", "kids", "child"),
    "books_media": ("books", "media"),
    "sport_outdoors": ("sport", "outdoors"),
    "diy_help": ("diy", "odd jobs", "handyman", "household repairs"),
    "lifts_errands": ("errands",),
    "tech_help": ("tech", "technology"),
    "home": ("home", "household"),
    "clothes": ("clothes", "clothing"),
    "pets": ("pets", "pet"),
    "other": (),
}
