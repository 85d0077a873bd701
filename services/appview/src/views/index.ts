import type {
  $Typed,
  AppBskyActorDefs,
  AppBskyEmbedExternal,
  AppBskyEmbedImages,
  AppBskyEmbedRecord,
  AppBskyEmbedRecordWithMedia,
  AppBskyEmbedVideo,
  AppBskyFeedDefs,
  ComAtprotoLabelDefs,
  Un$Typed,
} from '@atproto/api'
import type { FeedItemRow } from '../db/feeds.ts'
import type { HydrationState } from '../hydration/hydrator.ts'
import { asObject, asString, blobCid, collectionFromUri, didFromUri } from '../hydration/records.ts'
import type { JsonObject } from '../hydration/records.ts'
import type { ImagePreset, ImageUrlBuilder } from './image-url.ts'

/** The reference's stand-in for an account whose handle is unknown or failed verification. */
export const INVALID_HANDLE = 'handle.invalid'

type PostView = Un$Typed<AppBskyFeedDefs.PostView>
type EmbedView =
  | $Typed<AppBskyEmbedImages.View>
  | $Typed<AppBskyEmbedVideo.View>
  | $Typed<AppBskyEmbedExternal.View>
  | $Typed<AppBskyEmbedRecord.View>
  | $Typed<AppBskyEmbedRecordWithMedia.View>
type MaybePost = $Typed<AppBskyFeedDefs.PostView> | $Typed<AppBskyFeedDefs.NotFoundPost>
type ThreadNode = $Typed<AppBskyFeedDefs.ThreadViewPost> | $Typed<AppBskyFeedDefs.NotFoundPost>

/** Pure shaping of hydrated rows into app.bsky views; no I/O. */
export class Views {
  constructor(private images: ImageUrlBuilder) {}

  // Profiles

  profileBasic(did: string, state: HydrationState): Un$Typed<AppBskyActorDefs.ProfileViewBasic> | undefined {
    const actor = state.actors.get(did)
    if (!actor) return undefined
    const profile = asObject(actor.profileRecord)
    return {
      did,
      handle: actor.handle ?? INVALID_HANDLE,
      displayName: actor.displayName ?? undefined,
      avatar: actor.avatarCid ? this.image('avatar', did, actor.avatarCid, state) : undefined,
      viewer: this.profileViewer(did, state),
      labels:
        actor.profileUri && actor.profileCid ? selfLabels(actor.profileUri, actor.profileCid, profile) : [],
      createdAt: actor.profileCreatedAt?.toISOString(),
    }
  }

  profile(did: string, state: HydrationState): Un$Typed<AppBskyActorDefs.ProfileView> | undefined {
    const basic = this.profileBasic(did, state)
    const actor = state.actors.get(did)
    if (!basic || !actor) return undefined
    return {
      ...basic,
      description: actor.description || undefined,
      indexedAt: actor.profileIndexedAt?.toISOString(),
    }
  }

  profileDetailed(
    did: string,
    state: HydrationState,
  ): Un$Typed<AppBskyActorDefs.ProfileViewDetailed> | undefined {
    const view = this.profile(did, state)
    const actor = state.actors.get(did)
    if (!view || !actor) return undefined
    const pinned = asObject(asObject(actor.profileRecord)?.pinnedPost)
    const pinnedUri = asString(pinned?.uri)
    const pinnedCid = asString(pinned?.cid)
    return {
      ...view,
      banner: actor.bannerCid ? this.image('banner', did, actor.bannerCid, state) : undefined,
      followersCount: actor.followersCount,
      followsCount: actor.followsCount,
      postsCount: actor.postsCount,
      pinnedPost:
        pinnedUri && pinnedCid && didFromUri(pinnedUri) === did
          ? { uri: pinnedUri, cid: pinnedCid }
          : undefined,
    }
  }

  profileViewer(did: string, state: HydrationState): AppBskyActorDefs.ViewerState | undefined {
    const actor = state.actors.get(did)
    if (!state.viewer || !actor) return undefined
    return {
      muted: false,
      blockedBy: false,
      following: actor.following ?? undefined,
      followedBy: actor.followedBy ?? undefined,
    }
  }

  // Posts

  post(uri: string, state: HydrationState, depth = 0): PostView | undefined {
    const post = state.posts.get(uri)
    if (!post) return undefined
    const author = this.profileBasic(post.authorDid, state)
    if (!author) return undefined
    const record = asObject(post.record) ?? {}
    return {
      uri,
      cid: post.cid,
      author,
      record,
      embed:
        depth < 2 && record.embed ? this.embed(post.authorDid, record.embed, state, depth + 1) : undefined,
      replyCount: post.replyCount,
      repostCount: post.repostCount,
      likeCount: post.likeCount,
      quoteCount: post.quoteCount,
      indexedAt: post.sortAt.toISOString(),
      viewer: state.viewer
        ? { like: post.viewerLike ?? undefined, repost: post.viewerRepost ?? undefined, threadMuted: false }
        : undefined,
      labels: selfLabels(uri, post.cid, record),
    }
  }

  feedViewPost(item: FeedItemRow, state: HydrationState): Un$Typed<AppBskyFeedDefs.FeedViewPost> | undefined {
    let reason: $Typed<AppBskyFeedDefs.ReasonRepost> | undefined
    if (item.type === 'repost') {
      const repost = state.reposts.get(item.uri)
      if (!repost || repost.subjectUri !== item.postUri) return undefined
      const by = this.profileBasic(repost.authorDid, state)
      if (!by) return undefined
      reason = {
        $type: 'app.bsky.feed.defs#reasonRepost',
        by,
        uri: repost.uri,
        cid: repost.cid,
        indexedAt: repost.sortAt.toISOString(),
      }
    }
    const post = this.post(item.postUri, state)
    if (!post) return undefined
    return { post, reply: this.replyRef(item.postUri, state), reason }
  }

  replyRef(uri: string, state: HydrationState): Un$Typed<AppBskyFeedDefs.ReplyRef> | undefined {
    const post = state.posts.get(uri)
    if (!post?.replyRoot || !post.replyParent) return undefined
    const root = this.maybePost(post.replyRoot, state)
    const parent = this.maybePost(post.replyParent, state)
    let grandparentAuthor: AppBskyActorDefs.ProfileViewBasic | undefined
    if (parent.$type === 'app.bsky.feed.defs#postView') {
      const grandparent = state.posts.get(parent.uri)?.replyParent
      if (grandparent) grandparentAuthor = this.profileBasic(didFromUri(grandparent), state)
    }
    return { root, parent, grandparentAuthor }
  }

  maybePost(uri: string, state: HydrationState): MaybePost {
    const post = this.post(uri, state)
    if (!post) return this.notFoundPost(uri)
    return { $type: 'app.bsky.feed.defs#postView', ...post }
  }

  notFoundPost(uri: string): $Typed<AppBskyFeedDefs.NotFoundPost> {
    return { $type: 'app.bsky.feed.defs#notFoundPost', uri, notFound: true }
  }

  // Threads

  /**
   * A thread around `anchor`: parents up to `height` (stopping at the thread boundary) and replies down to
   * `depth`, replies in the order of `replyUris` (newest first).
   */
  thread(
    anchor: string,
    replyUris: string[],
    state: HydrationState,
    opts: { height: number; depth: number },
  ): ThreadNode {
    const post = this.post(anchor, state)
    const anchorRow = state.posts.get(anchor)
    if (!post || !anchorRow) return this.notFoundPost(anchor)
    const children = new Map<string, string[]>()
    for (const uri of replyUris) {
      const parent = state.posts.get(uri)?.replyParent
      if (!parent || uri === anchor) continue
      const list = children.get(parent) ?? []
      list.push(uri)
      children.set(parent, list)
    }
    const rootUri = anchorRow.replyRoot ?? anchor
    return {
      $type: 'app.bsky.feed.defs#threadViewPost',
      post,
      parent: this.threadParent(anchor, rootUri, state, opts.height),
      replies: this.threadReplies(anchor, rootUri, children, state, opts.depth),
    }
  }

  private threadParent(
    childUri: string,
    rootUri: string,
    state: HydrationState,
    height: number,
  ): ThreadNode | undefined {
    if (height < 1) return undefined
    const parentUri = state.posts.get(childUri)?.replyParent
    if (!parentUri) return undefined
    const post = this.post(parentUri, state)
    const row = state.posts.get(parentUri)
    if (!post || !row) return this.notFoundPost(parentUri)
    if ((row.replyRoot ?? parentUri) !== rootUri) return undefined
    return {
      $type: 'app.bsky.feed.defs#threadViewPost',
      post,
      parent: this.threadParent(parentUri, rootUri, state, height - 1),
    }
  }

  private threadReplies(
    parentUri: string,
    rootUri: string,
    children: Map<string, string[]>,
    state: HydrationState,
    depth: number,
  ): $Typed<AppBskyFeedDefs.ThreadViewPost>[] | undefined {
    if (depth < 1) return undefined
    const replies: $Typed<AppBskyFeedDefs.ThreadViewPost>[] = []
    for (const uri of children.get(parentUri) ?? []) {
      const post = this.post(uri, state)
      const row = state.posts.get(uri)
      if (!post || !row || (row.replyRoot ?? uri) !== rootUri) continue
      replies.push({
        $type: 'app.bsky.feed.defs#threadViewPost',
        post,
        replies: this.threadReplies(uri, rootUri, children, state, depth - 1),
      })
    }
    return replies
  }

  // Embeds

  embed(authorDid: string, embed: unknown, state: HydrationState, depth: number): EmbedView | undefined {
    const obj = asObject(embed)
    switch (obj?.$type) {
      case 'app.bsky.embed.images':
      case 'app.bsky.embed.video':
      case 'app.bsky.embed.external':
        return this.mediaEmbed(authorDid, obj, state)
      case 'app.bsky.embed.record':
        return this.recordEmbed(obj, state, depth)
      case 'app.bsky.embed.recordWithMedia': {
        const media = this.mediaEmbed(authorDid, asObject(obj.media), state)
        if (!media) return undefined
        const record = this.recordEmbed(asObject(obj.record), state, depth)
        return {
          $type: 'app.bsky.embed.recordWithMedia#view',
          record: { record: record.record },
          media,
        }
      }
      default:
        return undefined
    }
  }

  private mediaEmbed(
    did: string,
    embed: JsonObject | undefined,
    state: HydrationState,
  ):
    | $Typed<AppBskyEmbedImages.View>
    | $Typed<AppBskyEmbedVideo.View>
    | $Typed<AppBskyEmbedExternal.View>
    | undefined {
    if (embed?.$type === 'app.bsky.embed.images') {
      const images = Array.isArray(embed.images) ? embed.images : []
      return {
        $type: 'app.bsky.embed.images#view',
        images: images.flatMap((value) => {
          const img = asObject(value)
          const cid = blobCid(img?.image)
          if (!img || !cid) return []
          return [
            {
              thumb: this.image('feed_thumbnail', did, cid, state),
              fullsize: this.image('feed_fullsize', did, cid, state),
              alt: asString(img.alt) ?? '',
              aspectRatio: aspectRatio(img.aspectRatio),
            },
          ]
        }),
      }
    }
    if (embed?.$type === 'app.bsky.embed.video') {
      const cid = blobCid(embed.video)
      if (!cid) return undefined
      return {
        $type: 'app.bsky.embed.video#view',
        cid,
        // No video transcoding service here: the playlist is the original blob.
        playlist: this.image('feed_fullsize', did, cid, state),
        alt: asString(embed.alt),
        aspectRatio: aspectRatio(embed.aspectRatio),
      }
    }
    if (embed?.$type === 'app.bsky.embed.external') {
      const external = asObject(embed.external)
      const uri = asString(external?.uri)
      if (!external || !uri) return undefined
      const thumb = blobCid(external.thumb)
      return {
        $type: 'app.bsky.embed.external#view',
        external: {
          uri,
          title: asString(external.title) ?? '',
          description: asString(external.description) ?? '',
          thumb: thumb ? this.image('feed_thumbnail', did, thumb, state) : undefined,
        },
      }
    }
    return undefined
  }

  private recordEmbed(
    embed: JsonObject | undefined,
    state: HydrationState,
    depth: number,
  ): $Typed<AppBskyEmbedRecord.View> {
    const uri = asString(asObject(embed?.record)?.uri) ?? ''
    const notFound: $Typed<AppBskyEmbedRecord.View> = {
      $type: 'app.bsky.embed.record#view',
      record: { $type: 'app.bsky.embed.record#viewNotFound', uri, notFound: true },
    }
    if (collectionFromUri(uri) !== 'app.bsky.feed.post') return notFound
    const view = this.post(uri, state, depth)
    if (!view) return notFound
    return {
      $type: 'app.bsky.embed.record#view',
      record: {
        $type: 'app.bsky.embed.record#viewRecord',
        uri: view.uri,
        cid: view.cid,
        author: view.author,
        value: view.record,
        labels: view.labels,
        replyCount: view.replyCount,
        repostCount: view.repostCount,
        likeCount: view.likeCount,
        quoteCount: view.quoteCount,
        indexedAt: view.indexedAt,
        embeds: depth > 1 ? undefined : view.embed ? [view.embed] : [],
      },
    }
  }

  private image(preset: ImagePreset, did: string, cid: string, state: HydrationState): string {
    return this.images.url(preset, did, cid, state.actors.get(did)?.pdsEndpoint ?? null)
  }
}

function aspectRatio(value: unknown): { width: number; height: number } | undefined {
  const obj = asObject(value)
  const width = obj?.width
  const height = obj?.height
  if (typeof width !== 'number' || typeof height !== 'number') return undefined
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return undefined
  return { width, height }
}

/** Labels an author put on their own record (`labels.values[].val`), as label views. */
function selfLabels(uri: string, cid: string, record: JsonObject | undefined): ComAtprotoLabelDefs.Label[] {
  const labels = asObject(record?.labels)
  if (labels?.$type !== 'com.atproto.label.defs#selfLabels' || !Array.isArray(labels.values)) return []
  const createdAt = asString(record?.createdAt)
  const parsed = createdAt ? Date.parse(createdAt) : NaN
  const cts = new Date(Number.isNaN(parsed) ? 0 : parsed).toISOString()
  const src = didFromUri(uri)
  return labels.values.flatMap((value) => {
    const val = asString(asObject(value)?.val)
    return val ? [{ src, uri, cid, val, cts }] : []
  })
}
