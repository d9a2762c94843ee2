/**
 * The fixed table of wording alternations. Every entry says the same thing in each of its forms, so a
 * recipient's copy never differs in meaning from the sender's text. Wording marks are opt-in per message.
 */

/** Contractions: [full form, contracted form]; matched on word boundaries, case of the first letter kept. */
export const contractions: readonly (readonly [string, string])[] = [
  ["do not", "don't"],
  ["does not", "doesn't"],
  ["did not", "didn't"],
  ["cannot", "can't"],
  ["will not", "won't"],
  ["would not", "wouldn't"],
  ["should not", "shouldn't"],
  ["could not", "couldn't"],
  ["is not", "isn't"],
  ["are not", "aren't"],
  ["was not", "wasn't"],
  ["were not", "weren't"],
  ["have not", "haven't"],
  ["has not", "hasn't"],
  ["we will", "we'll"],
  ["we are", "we're"],
  ["we have", "we've"],
  ["they are", "they're"],
  ["it is", "it's"],
  ["that is", "that's"],
  ["there is", "there's"],
  ["I am", "I'm"],
  ["I will", "I'll"],
  ["I have", "I've"],
  ["you are", "you're"],
]

/** Spelling variants: [British, American] stems; the suffix after the stem is kept. */
export const spellings: readonly (readonly [string, string])[] = [
  ["organis", "organiz"],
  ["recognis", "recogniz"],
  ["prioritis", "prioritiz"],
  ["emphasis", "emphasiz"],
  ["realis", "realiz"],
  ["apologis", "apologiz"],
  ["authoris", "authoriz"],
  ["minimis", "minimiz"],
  ["summaris", "summariz"],
  ["finalis", "finaliz"],
  ["normalis", "normaliz"],
  ["stabilis", "stabiliz"],
  ["mobilis", "mobiliz"],
  ["characteris", "characteriz"],
  ["criticis", "criticiz"],
  ["utilis", "utiliz"],
  ["colour", "color"],
  ["favour", "favor"],
  ["honour", "honor"],
  ["labour", "labor"],
  ["behaviour", "behavior"],
  ["neighbour", "neighbor"],
  ["endeavour", "endeavor"],
  ["centre", "center"],
  ["defence", "defense"],
  ["offence", "offense"],
  ["travelling", "traveling"],
  ["travelled", "traveled"],
  ["cancelled", "canceled"],
  ["judgement", "judgment"],
  ["acknowledgement", "acknowledgment"],
  ["analys", "analyz"],
  ["catalogue", "catalog"],
]

/** Interchangeable function words: [form, form]. */
export const synonyms: readonly (readonly [string, string])[] = [
  ["towards", "toward"],
  ["amongst", "among"],
  ["whilst", "while"],
  ["afterwards", "afterward"],
]

export const months = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const
