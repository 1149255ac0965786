package engine

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// maxCachedTextBytes keeps huge texts out of the cache (their keys would
// dominate its memory).
const maxCachedTextBytes = 64 << 10

// resultCache is a bounded LRU of results keyed by (model hash, task,
// options, text). It is safe for concurrent use.
type resultCache struct {
	mu     sync.Mutex
	limit  int
	ll     *list.List
	items  map[string]*list.Element
	hits   atomic.Uint64
	misses atomic.Uint64
}

type cacheEntry struct {
	key string
	val any
}

func newResultCache(limit int) *resultCache {
	return &resultCache{limit: limit, ll: list.New(), items: map[string]*list.Element{}}
}

func cacheKey(hash string, task Task, opts string, text string) string {
	return hash + "\x00" + string(task) + "\x00" + opts + "\x00" + text
}

func (c *resultCache) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit <= 0 {
		return nil, false
	}
	el, ok := c.items[key]
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry).val, true
}

func (c *resultCache) put(key string, val any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit <= 0 {
		return
	}
	if el, ok := c.items[key]; ok {
		el.Value.(*cacheEntry).val = val
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, val: val})
	c.evict()
}

func (c *resultCache) evict() {
	for c.ll.Len() > max(c.limit, 0) {
		el := c.ll.Back()
		c.ll.Remove(el)
		delete(c.items, el.Value.(*cacheEntry).key)
	}
}

// resize changes the bound; 0 or less empties and disables the cache.
func (c *resultCache) resize(limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = limit
	c.evict()
}

func (c *resultCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
