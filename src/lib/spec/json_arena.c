/* A bump allocator jansson allocates from while one document is parsed and read, freed at once after. */
#include "spec/json_arena.h"

#include <jansson.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Most config.json documents fit in the first chunk; a large seccomp profile takes a few. */
#define CHUNK_SIZE (64 * 1024)
#define ALIGNMENT alignof(max_align_t)

struct json_arena_chunk {
        struct json_arena_chunk *next;
        size_t used, size;
        alignas(max_align_t) unsigned char data[];
};

/* jansson's allocation hooks take no context: the arena being filled (no threads in husk). */
static struct json_arena *current;

static void *arena_malloc(size_t n)
{
        struct json_arena *a = current;
        if (n == 0)
                n = 1;
        if (n > SIZE_MAX - ALIGNMENT - sizeof(struct json_arena_chunk) - CHUNK_SIZE)
                return NULL;
        n = (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
        struct json_arena_chunk *c = a->head;
        if (!c || c->size - c->used < n) {
                size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
                c = malloc(sizeof(*c) + size);
                if (!c)
                        return NULL;
                c->used = 0;
                c->size = size;
                c->next = a->head;
                a->head = c;
        }
        void *p = c->data + c->used;
        c->used += n;
        return p;
}

/* Everything goes when the arena ends. */
static void arena_free(void *p)
{
        (void)p;
}

/*
 * Under AddressSanitizer jansson keeps the C library's allocator: inside one arena chunk an overrun
 * would go unnoticed.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ENABLED 0
#endif
#endif
#ifndef ARENA_ENABLED
#define ARENA_ENABLED 1
#endif

void husk_json_arena_begin(struct json_arena *a)
{
        *a = (struct json_arena){0};
        if (!ARENA_ENABLED || current)
                return;
        json_get_alloc_funcs(&a->saved_malloc, &a->saved_free);
        json_set_alloc_funcs(arena_malloc, arena_free);
        a->active = true;
        current = a;
}

void husk_json_arena_end(struct json_arena *a)
{
        if (!a->active)
                return;
        json_set_alloc_funcs(a->saved_malloc, a->saved_free);
        current = NULL;
        a->active = false;
        for (struct json_arena_chunk *c = a->head, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        a->head = NULL;
}
