/** Union-find whose unions respect cannot-link constraints between members. */
export class ConstrainedUnionFind {
  private readonly parent: Int32Array
  private readonly rank: Uint8Array
  /** Root -> members that must never join its component. */
  private readonly cannotLink = new Map<number, Set<number>>()

  constructor(size: number) {
    this.parent = new Int32Array(size)
    this.rank = new Uint8Array(size)
    for (let i = 0; i < size; i++) this.parent[i] = i
  }

  find(x: number): number {
    let root = x
    while (this.parent[root] !== root) root = this.parent[root]
    while (this.parent[x] !== root) {
      const next = this.parent[x]
      this.parent[x] = root
      x = next
    }
    return root
  }

  forbid(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (!this.cannotLink.has(ra)) this.cannotLink.set(ra, new Set())
    if (!this.cannotLink.has(rb)) this.cannotLink.set(rb, new Set())
    this.cannotLink.get(ra)!.add(b)
    this.cannotLink.get(rb)!.add(a)
  }

  /** Joins the components of a and b unless a constraint forbids it; true when they are (now) joined. */
  union(a: number, b: number): boolean {
    let ra = this.find(a)
    let rb = this.find(b)
    if (ra === rb) return true
    const forbiddenA = this.cannotLink.get(ra)
    const forbiddenB = this.cannotLink.get(rb)
    if (forbiddenA && forbiddenB) {
      // The constraint sets are symmetric, so checking the smaller suffices.
      const [smaller, otherRoot] = forbiddenA.size <= forbiddenB.size ? [forbiddenA, rb] : [forbiddenB, ra]
      for (const member of smaller) if (this.find(member) === otherRoot) return false
    }
    if (this.rank[ra] < this.rank[rb]) [ra, rb] = [rb, ra]
    this.parent[rb] = ra
    if (this.rank[ra] === this.rank[rb]) this.rank[ra]++
    const moved = this.cannotLink.get(rb)
    if (moved) {
      const kept = this.cannotLink.get(ra)
      if (kept) for (const member of moved) kept.add(member)
      else this.cannotLink.set(ra, moved)
      this.cannotLink.delete(rb)
    }
    return true
  }
}
