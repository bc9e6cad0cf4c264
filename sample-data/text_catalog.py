"""Writes text-products.json beside this file, the same bytes on every run (seeded): 1,200
products with an English title and description, for full-text and hybrid search.

The words are the project's own: for each category a few product names, qualities and
sentences written by hand, combined into titles and descriptions (a brand, a quality and a
product name; three sentences on what it is, how it is used and what it is made of). Each
product: key (txt_0001..), title, description, category, brand, color, price, in_stock.

    python sample-data/text_catalog.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 20261201
COUNT = 1200
HERE = Path(__file__).resolve().parent
FILE = "text-products.json"

BRANDS = (
    "Northwind",
    "Alder & Finch",
    "Bluecrest",
    "Copperline",
    "Driftwood",
    "Evergreen Supply",
    "Fieldhouse",
    "Granite Peak",
    "Harbor Lane",
    "Ironbark",
    "Juniper",
    "Kestrel",
)
COLORS = ("black", "white", "red", "navy blue", "forest green", "grey", "sand", "orange")

# category -> (product names, qualities, what it is, how it is used, what it is made of)
CATALOG: dict[str, tuple[tuple[str, ...], ...]] = {
    "footwear": (
        ("running shoes", "trail runners", "hiking boots", "leather sandals", "rain boots"),
        ("lightweight", "waterproof", "cushioned", "breathable", "wide-fit"),
        (
            "A responsive midsole returns energy with every stride.",
            "The grippy rubber outsole holds on wet rock and loose gravel.",
            "A padded collar and tongue keep the heel locked in place.",
            "The roomy toe box lets your feet spread out naturally on long days.",
        ),
        (
            "Built for daily training runs and weekend races alike.",
            "Ideal for muddy trails, city streets and everything between.",
            "Wear them on long walks, light hikes or all day at work.",
        ),
        (
            "The upper is knitted from recycled polyester yarn.",
            "Full-grain leather softens and shapes itself to your foot over time.",
            "A sealed membrane keeps water out while letting sweat escape.",
        ),
    ),
    "outerwear": (
        ("rain jacket", "down parka", "fleece pullover", "softshell vest", "wool overcoat"),
        ("packable", "insulated", "windproof", "water-repellent", "lightweight"),
        (
            "Taped seams and a storm flap keep heavy rain from getting in.",
            "Responsibly sourced down traps warmth without the bulk.",
            "An adjustable hood fits over a helmet or a warm hat.",
            "Zippered hand pockets are lined with soft brushed fabric.",
        ),
        (
            "Pack it in its own pocket and clip it to your harness.",
            "Layer it over a base layer on cold morning commutes.",
            "Made for windy ridgelines, ski lifts and winter walks in the park.",
        ),
        (
            "The shell is a durable ripstop nylon with a water-repellent finish.",
            "Merino wool blend lining regulates temperature and resists odor.",
            "Recycled fleece is warm, quick drying and easy to wash.",
        ),
    ),
    "kitchen": (
        (
            "chef's knife",
            "cast iron skillet",
            "electric kettle",
            "pour-over coffee maker",
            "cutting board",
        ),
        ("professional", "nonstick", "compact", "stainless", "handcrafted"),
        (
            "A full tang blade holds a razor edge through hours of chopping.",
            "The heavy base spreads heat evenly for a perfect sear.",
            "It boils a full liter of water in under four minutes.",
            "A gooseneck spout gives precise control over the pour.",
        ),
        (
            "Slice vegetables, carve roasts and mince herbs with ease.",
            "Goes from the stovetop straight into a hot oven.",
            "Brew a clean, bright cup of coffee every morning.",
        ),
        (
            "Forged from high carbon German steel and hand sharpened.",
            "Seasoned with vegetable oil and ready to cook on right away.",
            "Made from end-grain maple that is gentle on knife edges.",
        ),
    ),
    "electronics": (
        (
            "wireless headphones",
            "bluetooth speaker",
            "smart watch",
            "portable charger",
            "noise cancelling earbuds",
        ),
        ("rechargeable", "water-resistant", "compact", "high-fidelity", "long-lasting"),
        (
            "Active noise cancellation quiets airplanes, trains and busy offices.",
            "The battery lasts up to thirty hours on a single charge.",
            "Dual microphones keep your voice clear on calls.",
            "A built-in heart rate sensor tracks your workouts and sleep.",
        ),
        (
            "Pair it with your phone in seconds and take your music anywhere.",
            "Charge two devices at once from the fast USB-C port.",
            "Great for the gym, the commute and the beach.",
        ),
        (
            "The housing is made from recycled aluminum and durable plastic.",
            "Soft memory foam ear cushions stay comfortable for hours.",
            "It is rated against splashes, sweat and light rain.",
        ),
    ),
    "camping": (
        ("backpacking tent", "sleeping bag", "camp stove", "trekking poles", "headlamp"),
        ("ultralight", "four-season", "collapsible", "weatherproof", "compact"),
        (
            "Two doors and two vestibules give room for gear and easy exits.",
            "The mummy shape and draft collar hold warmth on freezing nights.",
            "It boils water fast even in gusty wind.",
            "A bright beam lights the trail a hundred meters ahead.",
        ),
        (
            "Set it up in minutes after a long day on the trail.",
            "Perfect for thru-hikes, family campgrounds and alpine lakes.",
            "Stash it in your pack for emergencies and late returns.",
        ),
        (
            "Aluminum poles and silicone coated nylon keep the weight down.",
            "Filled with synthetic insulation that stays warm when damp.",
            "The body is machined from lightweight titanium.",
        ),
    ),
    "home": (
        ("desk lamp", "throw blanket", "ceramic vase", "reading chair", "wall clock"),
        ("minimalist", "cozy", "handmade", "dimmable", "modern"),
        (
            "Warm dimmable light makes late reading easy on the eyes.",
            "A chunky knit adds texture and warmth to any sofa.",
            "Each piece is thrown on the wheel and glazed by hand.",
            "The silent sweep movement never ticks at night.",
        ),
        (
            "Brighten a home office, a bedside table or a reading nook.",
            "Curl up with a book on cold winter evenings.",
            "Display fresh flowers or dried branches on a shelf.",
        ),
        (
            "Crafted from solid oak with a natural oil finish.",
            "Woven from soft organic cotton that gets better with every wash.",
            "Made from stoneware clay fired at high temperature.",
        ),
    ),
    "garden": (
        ("garden hose", "pruning shears", "raised planter", "watering can", "compost bin"),
        ("heavy-duty", "ergonomic", "rust-proof", "expandable", "weather-resistant"),
        (
            "A sharp bypass blade makes clean cuts that help plants heal.",
            "The kink-free hose stretches to three times its length.",
            "Deep beds give roots room to grow and keep weeds out.",
            "A long spout and balanced handle water seedlings gently.",
        ),
        (
            "Tend tomatoes, herbs and flowers on a balcony or in the backyard.",
            "Prune roses, shrubs and fruit trees through the season.",
            "Turn kitchen scraps into rich compost for the garden.",
        ),
        (
            "Cedar wood resists rot without any chemical treatment.",
            "Powder coated steel stands up to sun, rain and frost.",
            "The grips are soft rubber that does not slip when wet.",
        ),
    ),
    "sports": (
        ("yoga mat", "road bike helmet", "tennis racket", "climbing harness", "swim goggles"),
        ("non-slip", "adjustable", "professional", "lightweight", "anti-fog"),
        (
            "A thick cushioned surface protects knees and wrists.",
            "Vents channel cool air over your head on hot climbs.",
            "A larger sweet spot forgives off-center hits.",
            "Padded leg loops stay comfortable on long belays.",
        ),
        (
            "Use it for yoga, pilates and stretching at home or in the studio.",
            "Ride to work, train on weekends or race on the road.",
            "Train in the pool or swim in open water.",
        ),
        (
            "Natural tree rubber gives grip without toxic glues.",
            "The shell is polycarbonate bonded to an impact foam liner.",
            "Graphite frame is stiff, light and powerful.",
        ),
    ),
    "bags": (
        ("travel backpack", "messenger bag", "duffel bag", "laptop sleeve", "tote bag"),
        ("carry-on", "water-resistant", "padded", "expandable", "minimalist"),
        (
            "A padded compartment protects a laptop up to sixteen inches.",
            "Opens flat like a suitcase for easy packing.",
            "Hidden pockets keep your passport and wallet secure.",
            "Compression straps cinch the load close to your back.",
        ),
        (
            "Carry everything for a weekend trip without checking a bag.",
            "Commute by bike or train with your work essentials.",
            "Take it to the gym, the market or the beach.",
        ),
        (
            "Made from waxed canvas and vegetable tanned leather.",
            "The recycled nylon shell sheds rain and resists abrasion.",
            "YKK zippers and bar tacked seams are built to last.",
        ),
    ),
    "beauty": (
        ("face moisturizer", "sunscreen lotion", "shampoo bar", "lip balm", "hand cream"),
        ("fragrance-free", "organic", "gentle", "hydrating", "mineral"),
        (
            "Hyaluronic acid draws moisture into dry skin.",
            "Broad spectrum protection shields skin from sunburn.",
            "A rich lather cleans hair without stripping natural oils.",
            "Shea butter soothes cracked, chapped skin.",
        ),
        (
            "Apply every morning after cleansing and before makeup.",
            "Reapply after swimming, sweating or two hours in the sun.",
            "Keep one in your bag for dry winter days.",
        ),
        (
            "Formulated without parabens, sulfates or synthetic dyes.",
            "Packed in a plastic free tin that you can recycle.",
            "Made with plant oils from certified organic farms.",
        ),
    ),
    "toys": (
        ("wooden puzzle", "building blocks", "remote control car", "board game", "plush bear"),
        ("educational", "colorful", "durable", "award-winning", "soft"),
        (
            "Chunky pieces are easy for small hands to grab.",
            "Hundreds of pieces build towers, castles and cities.",
            "Strategy and luck keep the whole family playing for hours.",
            "It races across grass and gravel at top speed.",
        ),
        (
            "Great for quiet afternoons, birthdays and rainy days.",
            "Encourages creativity, counting and fine motor skills.",
            "Recommended for children aged three and up.",
        ),
        (
            "Carved from sustainable beech wood and painted with safe water based colors.",
            "Filled with soft recycled fiber and stitched to survive hugs.",
            "Tested to meet strict toy safety standards.",
        ),
    ),
    "office": (
        ("notebook", "fountain pen", "standing desk", "ergonomic chair", "desk organizer"),
        ("refillable", "adjustable", "premium", "dotted", "ergonomic"),
        (
            "Thick acid free paper takes fountain pen ink without bleeding.",
            "A smooth steel nib glides across the page.",
            "A quiet motor lifts the desk from sitting to standing height.",
            "Lumbar support and breathable mesh keep your back comfortable.",
        ),
        (
            "Plan your week, sketch ideas and take notes in meetings.",
            "Switch positions through the day to stay focused and active.",
            "Keep pens, cables and paper clips in their place.",
        ),
        (
            "Bound in a linen cover with a lay-flat spine.",
            "The frame is powder coated steel with a bamboo top.",
            "Brass body develops a warm patina with use.",
        ),
    ),
}


def products(count: int = COUNT, seed: int = SEED) -> list[dict[str, object]]:
    """`count` products, the same for the same seed: categories in turn, the rest drawn."""
    rng = random.Random(seed)  # noqa: S311 - seeded sample data, not a secret
    categories = sorted(CATALOG)
    made = []
    for number in range(1, count + 1):
        category = categories[(number - 1) % len(categories)]
        names, qualities, what, how, made_of = CATALOG[category]
        name, quality = rng.choice(names), rng.choice(qualities)
        brand, color = rng.choice(BRANDS), rng.choice(COLORS)
        sentences = [rng.choice(what), rng.choice(how), rng.choice(made_of)]
        if rng.random() < 0.5:
            sentences.insert(1, f"Available in {color}.")
        made.append(
            {
                "key": f"txt_{number:04d}",
                "title": f"{brand} {quality} {name} in {color}",
                "description": " ".join(sentences),
                "category": category,
                "brand": brand,
                "color": color,
                "price": round(rng.uniform(5, 400), 2),
                "in_stock": rng.random() < 0.8,
            }
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE)
    out = parser.parse_args().out_dir
    text = json.dumps({"products": products()}, indent=1, ensure_ascii=False) + "\n"
    (out / FILE).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
