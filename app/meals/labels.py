"""The printable label that goes on a meal (pure: data in, HTML out)."""

from __future__ import annotations

from datetime import date
from html import escape

from app.vocab import DIET_LABELS, Allergen, Texture, other_foods

# What the label says of each allergen (lower case, inside a sentence).
ALLERGEN_NAMES: dict[str, str] = {
    Allergen.celery: "celery",
    Allergen.cereals_containing_gluten: "cereals containing gluten",
    Allergen.crustaceans: "crustaceans",
    Allergen.eggs: "eggs",
    Allergen.fish: "fish",
    Allergen.lupin: "lupin",
    Allergen.milk: "milk",
    Allergen.molluscs: "molluscs",
    Allergen.mustard: "mustard",
    Allergen.tree_nuts: "tree nuts",
    Allergen.peanuts: "peanuts",
    Allergen.sesame: "sesame",
    Allergen.soya: "soya",
    Allergen.sulphites: "sulphites",
}
_DIET_WORDS = {str(code): words for code, words in DIET_LABELS.items()}  # as the forms say
TEXTURE_ADVICE: dict[str, str] = {
    Texture.regular: "",
    Texture.easy_to_chew: "Prepared soft and easy to chew.",
    Texture.soft_bite_sized: "Prepared soft and bite-sized (IDDSI level 6).",
    Texture.minced_moist: "Prepared minced and moist (IDDSI level 5).",
    Texture.pureed: "Prepared puréed (IDDSI level 4): smooth, no lumps.",
}


def meal_label(
    *,
    first_name: str,
    diets: list[str],
    allergies: list[str],
    texture: str,
    cooked_on: date,
    other_allergies: str | None = None,
) -> str:
    """A small HTML page to print and stick on the container: who it is for, what it is made
    to suit and free from (a cook covering for another checks the meal against it). A link back
    to the cook's page shows on screen, not on paper (a browser walk found no way back)."""
    # "Made free from: none declared" read like a warning (a browser check).
    # The other foods the carer named ("kiwi fruit") follow the 14 in the same box: whoever
    # reheats or checks the meal reads one list of what it must not contain.
    avoid = ", ".join(
        [ALLERGEN_NAMES.get(a, a) for a in sorted(allergies)] + other_foods(other_allergies)
    )
    free = (
        f'<p class="avoid">Made free from: {escape(avoid)}</p>'
        if avoid
        else "<p>No allergies declared.</p>"
    )
    suits = ", ".join(_DIET_WORDS.get(d, d) for d in diets)
    texture_line = TEXTURE_ADVICE.get(texture, "")
    use_by = cooked_on.fromordinal(cooked_on.toordinal() + 2)
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meal label for {escape(first_name)}</title>
<style>body{{font-family:system-ui,sans-serif;font-size:20px;max-width:32em;margin:1em}}
h1{{font-size:28px}} .avoid{{font-weight:bold;border:3px solid #000;padding:.5em}}
@media print{{.back{{display:none}}}}</style></head>
<body><main>
<p class="back"><a href="/cook/">Back to My cooking</a> (this line is not printed)</p>
<h1>For {escape(first_name)}</h1>
{free}
{f'<p class="avoid">Made to suit: {escape(suits)}</p>' if suits else ""}
<p>Cooked on {cooked_on:%A} {cooked_on.day} {cooked_on:%B %Y}. Keep in the fridge and eat by
{use_by:%A} {use_by.day} {use_by:%B}.</p>
<p>{escape(texture_line)}</p>
<p>To reheat: until steaming hot all the way through (75°C in the centre), stirring halfway.
Reheat only once. Let it cool a little before eating.</p>
</main></body></html>"""
