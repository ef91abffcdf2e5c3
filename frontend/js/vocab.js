// The API's vocabularies (API.md "Vocabularies") with plain-English labels.

export const DIETS = [
  ['vegetarian', 'Vegetarian'],
  ['vegan', 'Vegan'],
  ['pescatarian', 'Pescatarian (fish but no meat)'],
  ['halal', 'Halal'],
  ['kosher', 'Kosher'],
  ['no_pork', 'No pork'],
  ['no_beef', 'No beef'],
  ['diabetic_friendly', 'Suitable for diabetes'],
  ['low_salt', 'Low salt'],
];

export const ALLERGENS = [
  ['celery', 'Celery'],
  ['cereals_containing_gluten', 'Cereals containing gluten (wheat, rye, barley, oats)'],
  ['crustaceans', 'Crustaceans (prawns, crab, lobster)'],
  ['eggs', 'Eggs'],
  ['fish', 'Fish'],
  ['lupin', 'Lupin'],
  ['milk', 'Milk'],
  ['molluscs', 'Molluscs (mussels, oysters, squid)'],
  ['mustard', 'Mustard'],
  ['tree_nuts', 'Tree nuts (almonds, hazelnuts, walnuts and others)'],
  ['peanuts', 'Peanuts'],
  ['sesame', 'Sesame'],
  ['soya', 'Soya'],
  ['sulphites', 'Sulphites (sulphur dioxide)'],
];

export const TEXTURES = [
  ['regular', 'Regular food'],
  ['easy_to_chew', 'Easy to chew (IDDSI level 7)'],
  ['soft_bite_sized', 'Soft and bite-sized (IDDSI level 6)'],
  ['minced_moist', 'Minced and moist (IDDSI level 5)'],
  ['pureed', 'Puréed (IDDSI level 4)'],
];

export const FREQUENCIES = [
  ['weekly', 'Every week'],
  ['fortnightly', 'Every other week'],
  ['monthly', 'Once a month'],
];

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export const DBS_LEVELS = [
  ['basic', 'Basic'],
  ['standard', 'Standard'],
  ['enhanced', 'Enhanced'],
  ['enhanced_barred', 'Enhanced with barred list'],
];

export const COOK_STATUS = {
  pending: ['Waiting for checks', 'govuk-tag--yellow'],
  approved: ['Approved', 'govuk-tag--green'],
  rejected: ['Not approved', 'govuk-tag--red'],
  suspended: ['Suspended', 'govuk-tag--red'],
  left: ['Stopped cooking', 'govuk-tag--grey'],
};

export const DINER_STATUS = {
  waiting: ['Waiting for a cook', 'govuk-tag--yellow'],
  matched: ['Has a cook', 'govuk-tag--green'],
  paused: ['Paused', 'govuk-tag--grey'],
  left: ['Left', 'govuk-tag--grey'],
};

export const PAIRING_STATUS = {
  proposed: ['Invitation sent', 'govuk-tag--yellow'],
  active: ['Active', 'govuk-tag--green'],
  declined: ['Declined', 'govuk-tag--grey'],
  withdrawn: ['Withdrawn', 'govuk-tag--grey'],
  paused: ['Paused', 'govuk-tag--grey'],
  ended: ['Ended', 'govuk-tag--grey'],
};

export const MEAL_STATUS = {
  scheduled: ['Planned', 'govuk-tag--blue'],
  needs_cover: ['Needs a cover cook', 'govuk-tag--orange'],
  delivered: ['Delivered', 'govuk-tag--green'],
  missed: ['Missed', 'govuk-tag--red'],
  cancelled: ['Cancelled', 'govuk-tag--grey'],
};

export const UNMATCHED_REASONS = {
  no_cook_in_reach: 'No approved cook lives within walking distance',
  no_shared_time: 'No nearby cook is free at the times they asked for',
  no_cook_for_diet: 'No nearby cook can cook for their diet',
  no_cook_for_allergy: 'No nearby cook can cook free from their allergens',
  no_cook_for_texture: 'No nearby cook can cook the texture they need',
  no_capacity: 'Nearby cooks have no room for another diner',
};

const ALL = Object.fromEntries([...DIETS, ...ALLERGENS, ...TEXTURES, ...FREQUENCIES, ...DBS_LEVELS]);

export function label(code) {
  return ALL[code] || String(code).replaceAll('_', ' ');
}

export const CONCERN_STATUS = {
  open: ['New', 'govuk-tag--red'],
  investigating: ['Being looked into', 'govuk-tag--yellow'],
  resolved: ['Resolved, nothing found', 'govuk-tag--green'],
  upheld: ['Upheld', 'govuk-tag--purple'],
};

export const CONCERN_KIND = {
  missed_meal: 'Missed meal',
  food_hygiene: 'Food or hygiene',
  welfare: 'Welfare (health or wellbeing)',
  safeguarding: 'Safeguarding (safety or treatment)',
  cook_behaviour: 'The cook’s behaviour',
  other: 'Something else',
};
