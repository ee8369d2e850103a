"""Word lists for the benchmark city: places, names, and what neighbours lend, give and ask for.

Plain data, so that the generator reads like a recipe. British English, West Yorkshire places.
"""

from __future__ import annotations

# Town and neighbourhood centres in West Yorkshire (lat, lng): streets cluster around these,
# so most streets have neighbouring streets within a mile, as in a real city.
AREAS: tuple[tuple[str, float, float], ...] = (
    ("Leeds city centre", 53.7997, -1.5492),
    ("Headingley", 53.8190, -1.5780),
    ("Hyde Park", 53.8130, -1.5660),
    ("Chapel Allerton", 53.8290, -1.5390),
    ("Roundhay", 53.8370, -1.5050),
    ("Harehills", 53.8100, -1.5120),
    ("Beeston", 53.7730, -1.5620),
    ("Armley", 53.7980, -1.5900),
    ("Kirkstall", 53.8160, -1.6040),
    ("Horsforth", 53.8410, -1.6380),
    ("Meanwood", 53.8300, -1.5700),
    ("Seacroft", 53.8190, -1.4570),
    ("Crossgates", 53.8050, -1.4520),
    ("Morley", 53.7420, -1.6000),
    ("Pudsey", 53.7950, -1.6610),
    ("Rothwell", 53.7500, -1.4770),
    ("Garforth", 53.7930, -1.3870),
    ("Otley", 53.9050, -1.6930),
    ("Bradford", 53.7950, -1.7590),
    ("Shipley", 53.8330, -1.7730),
    ("Bingley", 53.8480, -1.8380),
    ("Keighley", 53.8670, -1.9060),
    ("Halifax", 53.7250, -1.8630),
    ("Sowerby Bridge", 53.7090, -1.9110),
    ("Brighouse", 53.7030, -1.7820),
    ("Huddersfield", 53.6458, -1.7850),
    ("Lindley", 53.6580, -1.8160),
    ("Marsh", 53.6500, -1.8040),
    ("Almondbury", 53.6320, -1.7500),
    ("Lockwood", 53.6330, -1.7960),
    ("Marsden", 53.6010, -1.9300),
    ("Holmfirth", 53.5710, -1.7870),
    ("Dewsbury", 53.6910, -1.6330),
    ("Batley", 53.7160, -1.6340),
    ("Mirfield", 53.6760, -1.6930),
    ("Wakefield", 53.6830, -1.4990),
    ("Ossett", 53.6800, -1.5800),
    ("Castleford", 53.7250, -1.3620),
    ("Pontefract", 53.6910, -1.3120),
    ("Wetherby", 53.9280, -1.3860),
)

STREET_STEMS = (
    "Elm", "Oak", "Ash", "Beech", "Birch", "Willow", "Holly", "Rowan", "Hazel", "Cedar", "Chestnut",
    "Sycamore", "Laburnum", "Lime", "Poplar", "Alder", "Hawthorn", "Larch", "Maple", "Yew", "Juniper",
    "Victoria", "Albert", "Station", "Church", "Chapel", "Mill", "Market", "Park", "Spring", "Well",
    "Moor", "Hall", "Bank", "Cliff", "Bridge", "Kirk", "Manor", "Grange", "Priory", "Abbey", "Fold",
    "Canal", "Beck", "Carr", "Royd", "Ings", "Shay", "Clough", "Nook", "Croft", "Field", "Green",
    "Heath", "Hill", "Lea", "Mead", "Stone", "Quarry", "Wood", "Brook", "Vale", "Dale", "Ridge",
    "Primrose", "Bluebell", "Heather", "Clover", "Foxglove", "Lavender", "Meadow", "Orchard",
    "Cavendish", "Clarendon", "Belgrave", "Grosvenor", "Wellington", "Nelson", "Cromwell", "Brontë",
    "Wordsworth", "Tennyson", "Fairfax", "Harewood", "Ilkley", "Otley", "Skipton", "Wharfe", "Aire",
    "Calder", "Colne", "Holme", "Spen", "Pennine", "Emley", "Castle", "Tower", "Garden", "School",
)
STREET_TYPES = (
    "Street", "Road", "Lane", "Avenue", "Grove", "Terrace", "Close", "Drive", "Crescent", "Place",
    "Mount", "View", "Gardens", "Walk", "Way", "Row", "Court", "Square", "Rise", "Fold",
)

FIRST_NAMES = (
    "Aisha", "Alan", "Alice", "Amir", "Amy", "Andrew", "Anna", "Arjun", "Barbara", "Ben", "Beth",
    "Bilal", "Bob", "Carol", "Caroline", "Charlie", "Chloe", "Chris", "Claire", "Dan", "Dave", "Deborah",
    "Denise", "Dev", "Ella", "Ellie", "Emily", "Emma", "Eve", "Fatima", "Fiona", "Frank", "Gareth",
    "Gemma", "George", "Grace", "Hamza", "Hannah", "Harry", "Hassan", "Helen", "Ian", "Imran", "Isla",
    "Jack", "Jade", "James", "Jane", "Jas", "Jean", "Jen", "Jo", "Joan", "John", "Jordan", "Josh",
    "Julie", "Karen", "Kate", "Keith", "Kelly", "Kevin", "Kim", "Laura", "Leah", "Lee", "Liam", "Lily",
    "Linda", "Lisa", "Liz", "Lou", "Lucy", "Maria", "Mark", "Martin", "Mary", "Matt", "Maya", "Megan",
    "Mike", "Mo", "Nadia", "Naveed", "Neil", "Nia", "Nick", "Noah", "Olivia", "Omar", "Owen", "Pam",
    "Paul", "Pete", "Phil", "Priya", "Rachel", "Raj", "Ravi", "Rebecca", "Rich", "Rob", "Rosie", "Ruth",
    "Ryan", "Saima", "Sam", "Sandra", "Sarah", "Sean", "Shabana", "Simon", "Sophie", "Steve", "Sue",
    "Tariq", "Tom", "Tony", "Tracy", "Usman", "Vicky", "Wendy", "Will", "Yasmin", "Zara", "Zoe",
)
INITIALS = "ABCDEFGHIJKLMNOPRSTW"

# Offers by category: (title, kinds it is offered as). A title reads as a neighbour would type it.
ITEMS: dict[str, tuple[tuple[str, str], ...]] = {
    "tools": (
        ("Ladder", "lend"), ("Step ladder", "lend"), ("Extension ladder", "lend"), ("Cordless drill", "lend"),
        ("Hammer drill", "lend"), ("Circular saw", "lend"), ("Jigsaw", "lend"), ("Spirit level", "lend"),
        ("Stud finder", "lend"), ("Socket set", "lend"), ("Tile cutter", "lend"), ("Wallpaper steamer", "lend"),
        ("Sander", "lend"), ("Angle grinder", "lend"), ("Workbench", "lend"), ("Pressure washer", "lend"),
        ("Box of screws and wall plugs", "give"), ("Spare paint, magnolia", "give"), ("Toolbox", "give"),
        ("Car jack", "lend"), ("Torque wrench", "lend"), ("Multimeter", "lend"), ("Staple gun", "lend"),
    ),
    "garden": (
        ("Hedge trimmer", "lend"), ("Lawnmower", "lend"), ("Strimmer", "lend"), ("Leaf blower", "lend"),
        ("Wheelbarrow", "lend"), ("Loppers", "lend"), ("Shredder", "lend"), ("Rotavator", "lend"),
        ("Tomato plants", "give"), ("Strawberry runners", "give"), ("Plant cuttings", "give"),
        ("Seed potatoes", "give"), ("Compost, two bags", "give"), ("Terracotta pots", "give"),
        ("Rhubarb crowns", "give"), ("Garden help on Saturdays", "skill"), ("Lawn mowing", "time"),
        ("Hedge cutting", "skill"), ("Pruning fruit trees", "skill"), ("Watering while you're away", "time"),
    ),
    "kitchen": (
        ("Slow cooker", "lend"), ("Stand mixer", "lend"), ("Pasta machine", "lend"), ("Jam pan", "lend"),
        ("Large stock pot", "lend"), ("Bread maker", "lend"), ("Food processor", "lend"), ("Fondue set", "lend"),
        ("Tea urn", "lend"), ("Dehydrator", "lend"), ("Glass jars for jam", "give"), ("Mugs, set of six", "give"),
        ("Spare plates", "give"), ("Baking tins", "give"), ("Batch cooking for a busy week", "time"),
        ("Birthday cake baking", "skill"), ("Sourdough starter", "give"), ("Microwave", "give"),
    ),
    "children": (
        ("Cot", "give"), ("Travel cot", "lend"), ("Pushchair", "give"), ("Baby bath", "give"),
        ("High chair", "give"), ("Car seat", "lend"), ("Baby monitor", "lend"), ("Stair gate", "give"),
        ("Balance bike", "give"), ("Kids' books, a big box", "give"), ("School uniform, age 7-8", "give"),
        ("Moses basket", "give"), ("Sling", "lend"), ("Lego, a crate of it", "give"), ("Babysitting", "time"),
        ("Maths tutoring", "skill"), ("Reading help", "skill"), ("Paddling pool", "lend"),
    ),
    "books_media": (
        ("Crime novels", "give"), ("Cookery books", "give"), ("Board games", "lend"), ("Jigsaw puzzles", "give"),
        ("DVD box sets", "give"), ("Record player", "lend"), ("Projector", "lend"), ("Kindle", "lend"),
        ("Children's encyclopaedias", "give"), ("Guitar lessons", "skill"), ("Piano lessons", "skill"),
        ("Language practice, Spanish", "skill"), ("Sheet music", "give"), ("Vinyl records", "give"),
    ),
    "sport_outdoors": (
        ("Tent, four person", "lend"), ("Camping stove", "lend"), ("Sleeping bags", "lend"), ("Bike rack", "lend"),
        ("Kayak", "lend"), ("Wetsuit", "lend"), ("Walking poles", "lend"), ("Gazebo", "lend"),
        ("Pop-up tent", "lend"), ("Cool box", "lend"), ("Tennis rackets", "give"), ("Football goals", "lend"),
        ("Adult bike", "give"), ("Bike repairs", "skill"), ("Running buddy", "time"), ("Rucksack", "lend"),
        ("Exercise bike", "give"), ("Golf clubs", "lend"), ("Picnic blanket", "give"),
    ),
    "diy_help": (
        ("Putting up shelves", "skill"), ("Flat-pack assembly", "skill"), ("Painting and decorating", "skill"),
        ("Fixing a dripping tap", "skill"), ("Bleeding radiators", "skill"), ("Hanging pictures", "skill"),
        ("Fence repair", "skill"), ("Tiling help", "skill"), ("Sealing the bath", "skill"),
        ("Hanging wallpaper", "skill"), ("Help moving furniture", "time"), ("Gutter clearing", "time"),
    ),
    "lifts_errands": (
        ("Tip run Saturday, room for 3 bags", "time"), ("Lift to the station", "time"),
        ("Lift to the hospital", "time"), ("Big shop on Thursdays, can pick up", "time"),
        ("Prescription pick-up", "time"), ("Trip to IKEA, space in the van", "time"),
        ("School run Mondays", "time"), ("Collecting parcels while you're out", "time"),
        ("Dog walking", "time"), ("Recycling centre run", "time"), ("Airport drop-off", "time"),
    ),
    "tech_help": (
        ("Setting up a new phone", "skill"), ("Computer help", "skill"), ("Wifi troubleshooting", "skill"),
        ("Video calls for grandparents", "skill"), ("Fixing a slow laptop", "skill"), ("Printer", "lend"),
        ("Laptop", "give"), ("Phone charger cables", "give"), ("Scanner", "lend"), ("Spare monitor", "give"),
        ("Help with online forms", "skill"), ("Smart TV setup", "skill"), ("Tablet", "give"),
    ),
    "home": (
        ("Carpet cleaner", "lend"), ("Steam cleaner", "lend"), ("Dehumidifier", "lend"), ("Fan heater", "lend"),
        ("Sewing machine", "lend"), ("Iron and board", "lend"), ("Vacuum cleaner", "lend"),
        ("Hoover", "lend"), ("Sofa", "give"), ("Armchair", "give"), ("Bookcase", "give"), ("Curtains", "give"),
        ("Duvet, double", "give"), ("Lamp", "give"), ("Folding chairs", "lend"), ("Trestle table", "lend"),
        ("Hemming trousers", "skill"), ("Clothes alterations", "skill"), ("Chest of drawers", "give"),
    ),
    "clothes": (
        ("Winter coat, size 12", "give"), ("Wellies, size 6", "give"), ("Suit for interviews", "lend"),
        ("Party dress", "lend"), ("Kids' coats", "give"), ("Walking boots", "give"), ("Fancy dress costumes", "lend"),
        ("Knitted hats", "give"), ("Maternity clothes", "give"), ("Work shirts", "give"),
    ),
    "pets": (
        ("Dog crate", "lend"), ("Cat carrier", "lend"), ("Rabbit hutch", "give"), ("Fish tank", "give"),
        ("Pet sitting", "time"), ("Cat feeding while you're away", "time"), ("Dog bed", "give"),
        ("Bird cage", "give"), ("Dog grooming", "skill"),
    ),
    "other": (
        ("Wedding decorations", "give"), ("Moving boxes", "give"), ("Sack truck", "lend"),
        ("Christmas tree stand", "lend"), ("Party lights", "lend"), ("Bubble wrap", "give"),
        ("Letter writing help", "skill"), ("Company for a cuppa", "time"), ("Photography", "skill"),
    ),
}

CONDITIONS = (
    "in good working order", "a bit scuffed but works fine", "barely used", "like new",
    "well loved", "clean and ready to go", "needs a new battery now and then", "works perfectly",
)
PICKUP = (
    "Pick up from mine, I'm in most evenings.",
    "Happy to drop it round if you're close by.",
    "Collect any time this week.",
    "Knock on the door, I'm usually in.",
    "Message me and we'll sort a time.",
    "Weekends are easiest for me.",
)
EXTRAS = (
    "Instructions included.", "Comes with a carry case.", "Please bring it back clean.",
    "Ideal for a weekend job.", "Free to a good home.", "No rush to return it.",
    "I've got spares if it breaks.", "Suits small jobs best.", "Great for kids.",
    "Happy to show you how it works.", "It's quite heavy, bring a friend.", "Fits in a small car.",
)
SKILL_LINES = (
    "I've done this for years and I'm happy to help a neighbour.",
    "Evenings and weekends suit me best.",
    "Bring a cuppa and we'll get it done.",
    "I'm not a professional but I know my way around it.",
    "Happy to teach you how to do it yourself.",
)

ASK_OPENERS = (
    "Can anyone lend a {item}?", "Looking for a {item}", "Does anyone have a {item}?",
    "Need a {item} for the weekend", "Borrow a {item}?", "Anyone got a spare {item}?",
)
ASK_HELP_OPENERS = (
    "Need help with {item}", "Can anyone help with {item}?", "Looking for someone for {item}",
    "Anyone good at {item}?",
)
ASK_LINES = (
    "Only need it for a couple of days.", "Happy to swap for cake.", "Will look after it.",
    "It's for a one-off job.", "Can collect whenever suits.", "Thanks in advance, neighbours!",
    "Our old one broke last week.", "Just moved in and have nothing yet.",
)

MESSAGES = (
    "Hi! Would Saturday morning work?", "Great, thank you so much.", "I'm at number 12, come round any time.",
    "Is after 6 ok?", "Perfect, see you then.", "Thanks, it worked a treat.", "Sorry, running ten minutes late.",
    "Brilliant, I'll bring it back on Sunday.", "No rush at all.", "Left it on the doorstep for you.",
)
DECLINE_NOTES = ("Sorry, it's already promised this week.", "Not this time, sorry.", "I need it myself that day.", "")
THANKS = (
    "Thank you, that saved me a trip to the shops!", "So kind, thanks neighbour.", "Brilliant, really helpful.",
    "Came back spotless, thanks!", "Lovely to meet you, thanks so much.", "A real lifesaver, thank you.",
    "Thanks for the help, the shelves are up!", "Cheers, made my weekend much easier.",
)
