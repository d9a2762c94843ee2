// A synthetic corpus of diplomatic-style messages, written for this harness (no real or leaked text).
// Messages are composed from the sentence bank below with a seeded generator, to a target word count.

const sentences = [
  "Thank you for the call this morning.",
  "Minister, thank you for your patience with our team today.",
  "We will not object to the draft communiqué, but the paragraph on sanctions needs the language we agreed in Vienna.",
  "Our delegation lands at 14:30 and will go straight to the ministry.",
  "The President has asked me to convey that she cannot attend the dinner on 12 March.",
  "Please keep this between our offices until the announcement is made.",
  "We don't see a path to a joint statement unless the core group agrees first.",
  "The organisation's position on the ceasefire monitors is unchanged.",
  "It is important that we recognise the progress made by both sides.",
  "Our analysts estimate that 12,500 people crossed the border last week.",
  "The budget line for humanitarian corridors grew by 15 per cent this year.",
  "I have not shared the text with Brussels, and I will not do so before Friday.",
  "The ambassador will call you at 09:15 to confirm the arrangements.",
  "We are ready to move towards a phased approach if Ankara does the same.",
  "Could your staff prepare a short note on the defence procurement question?",
  "The summit in Geneva on 3 June remains our priority.",
  "They are asking for guarantees on the grain corridor, the energy grid, and the port.",
  "I am grateful for the candour of your message.",
  "That is not a line we can accept in public, whatever we say privately.",
  "The finance ministers meet on 21 September to finalise the package.",
  "We have told the press office that there is no change in policy.",
  "Our concern is the timing, not the substance.",
  "The negotiating team will stay in the city until the text is agreed.",
  "There is room for compromise on the wording of the third paragraph.",
  "The Chancellor's office prefers that we wait for the election results.",
  "Please do not circulate the annex; it contains the names of our contacts.",
  "We would welcome a call with your national security adviser at 18:00.",
  "The centre of gravity of the talks has moved to Doha.",
  "Our favour to the mediators was appreciated, I am told.",
  "We should prioritise the release of the detained journalists.",
  "It is unlikely that parliament will ratify the agreement before the recess.",
  "The IMF team arrives on 7 October, and their judgement will matter.",
  "I will brief the cabinet, the security council, and the party leaders tomorrow.",
  "We cannot support the amendment in its present form.",
  "Whilst we understand the pressure you face, the deadline stands.",
  "The foreign ministry has drafted a note verbale for your review.",
  "Our labour and trade ministers want to be included in the next round.",
  "You are right that the first proposal went too far.",
  "The talks were frank, constructive, and at times difficult.",
  "We are travelling to Warsaw on Tuesday and back by Thursday evening.",
  "The cost of the reconstruction fund is close to 40,000 million euros.",
  "Let me know if the new draft reflects your concerns.",
  "The envoy has not yet seen the revised map.",
  "It is essential that the statement does not mention the second site.",
  "Our partners in the region are watching how we respond.",
  "The deputy minister's behaviour at the press conference was unhelpful.",
  "We have cancelled the joint visit planned for 28 November.",
  "The Prime Minister is willing to call the President directly if needed.",
  "There is no objection from our side to holding the meeting at the embassy.",
  "We will support the resolution, and we will say so at the council.",
]

/** Deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const wordCount = (s) => s.split(/\s+/).filter(Boolean).length

/** A message of about `words` words (within a sentence of the target), from a seeded draw of sentences. */
export function composeMessage(words, random) {
  const out = []
  let count = 0
  const used = new Set()
  while (count < words) {
    let i = Math.floor(random() * sentences.length)
    while (used.has(i) && used.size < sentences.length) i = (i + 1) % sentences.length
    used.add(i)
    const s = sentences[i]
    const n = wordCount(s)
    if (count > 0 && count + n > words + 6 && count >= words - 6) break
    out.push(s)
    count += n
  }
  return out.join(" ")
}

export { wordCount }
