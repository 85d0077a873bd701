import type { Prng } from './prng.ts'

const WORDS: Record<string, readonly string[]> = {
  en: (
    'the a to and of in is it you that for on was with this my just have be at are so but not like all ' +
    'what your about out can when today time people new good now one more think really know get how day ' +
    'love going see make back great much work want some still need would could first last right over ' +
    'here there well even never always little long best year week night morning weekend coffee music ' +
    'book game news city rain sun dog cat friends family team project release update thread photo art ' +
    'vote election weather train code bug fix ship launch idea question answer story article video ' +
    'finally honestly literally amazing terrible beautiful weird funny wild happy tired excited'
  ).split(' '),
  pt: 'eu você não que de um uma muito hoje bom dia gente mais vida tudo isso aqui agora obrigado amor casa'.split(
    ' ',
  ),
  de: 'ich du nicht das ist ein eine und heute gut mehr wirklich schon noch mal aber zeit leben danke'.split(
    ' ',
  ),
  es: 'yo tú no que de un una muy hoy buen día gente más vida todo esto aquí ahora gracias amor casa'.split(
    ' ',
  ),
}

const JAPANESE = [
  'おはようございます',
  '今日はいい天気',
  'ありがとう',
  '疲れた',
  'コーヒー飲みたい',
  '新しいアルバムが最高',
  'また明日',
  '電車が遅れてる',
  'お疲れさまでした',
  '猫がかわいい',
  '週末が楽しみ',
  'なるほど',
]

const EMOJI = ['😂', '❤️', '🔥', '✨', '🙏', '😭', '👀', '🎉', '💀', '🥲', '☕', '🌧️']

const LANGS: readonly { tag: string | null; weight: number }[] = [
  { tag: 'en', weight: 70 },
  { tag: 'ja', weight: 10 },
  { tag: 'pt', weight: 8 },
  { tag: 'de', weight: 5 },
  { tag: 'es', weight: 4 },
  { tag: null, weight: 3 },
]

/** Post text limit in the app.bsky.feed.post lexicon is 300 graphemes; stay under it in code units. */
export const MAX_POST_CHARS = 300

export function pickLanguage(prng: Prng): string | null {
  let roll = prng.int(100)
  for (const { tag, weight } of LANGS) {
    roll -= weight
    if (roll < 0) return tag
  }
  return 'en'
}

/** Text with a realistic length mix: mostly short, a long tail up to the post limit. */
export function postText(prng: Prng, lang: string | null, maxChars = MAX_POST_CHARS): string {
  const bucket = prng.int(100)
  const target = bucket < 40 ? prng.range(8, 60) : bucket < 80 ? prng.range(60, 180) : prng.range(180, 290)
  const limit = Math.min(target, maxChars)
  if (lang === 'ja') return japaneseText(prng, limit)
  const words = WORDS[lang ?? 'en'] ?? WORDS.en
  let text = capitalize(prng.pick(words))
  while (text.length < limit) {
    const word = prng.chance(0.04) ? prng.pick(EMOJI) : prng.pick(words)
    const separator = prng.chance(0.08) ? (prng.chance(0.5) ? '. ' : ', ') : ' '
    if (text.length + separator.length + word.length > limit) break
    text += separator + word
  }
  return text
}

function japaneseText(prng: Prng, limit: number): string {
  let text = prng.pick(JAPANESE)
  while (text.length < limit) {
    const next = prng.chance(0.1) ? prng.pick(EMOJI) : `、${prng.pick(JAPANESE)}`
    if (text.length + next.length > limit) break
    text += next
  }
  return text
}

export function shortPhrase(prng: Prng, minWords: number, maxWords: number): string {
  const count = prng.range(minWords, maxWords)
  const words: string[] = []
  for (let i = 0; i < count; i++) words.push(prng.pick(WORDS.en))
  return capitalize(words.join(' '))
}

const NAME_PARTS = [
  'river',
  'maple',
  'nova',
  'pixel',
  'ember',
  'sol',
  'atlas',
  'juniper',
  'orbit',
  'sage',
  'quill',
  'harbor',
  'lumen',
  'fern',
  'echo',
  'birch',
  'comet',
  'delta',
  'indigo',
  'kite',
  'marlow',
  'nimbus',
  'opal',
  'rowan',
]

export function displayName(prng: Prng): string {
  return `${capitalize(prng.pick(NAME_PARTS))} ${capitalize(prng.pick(NAME_PARTS))}`
}

/** A valid handle that stays unique per actor and version. */
export function handleFor(prng: Prng, actorIndex: number, version: number): string {
  const suffix = version === 0 ? '' : `-${version}`
  return `${prng.pick(NAME_PARTS)}-${actorIndex.toString(36)}${suffix}.bsky.social`
}

export function linkUrl(prng: Prng): string {
  const host = prng.pick(['example.com', 'news.example.org', 'blog.example.net', 'video.example.com'])
  return `https://${host}/${prng.pick(NAME_PARTS)}-${prng.uint32().toString(36)}`
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}
