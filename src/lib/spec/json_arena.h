/* A bump allocator for jansson while one document is parsed and read (json_arena.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct json_arena_chunk;

struct json_arena {
        struct json_arena_chunk *head;
        void *(*saved_malloc)(size_t);
        void (*saved_free)(void *);
        bool active;
};

/*
 * From begin to end every jansson allocation comes from the arena and jansson's frees do nothing:
 * parsing a document costs a few mallocs instead of several per value, and dropping it none. Nothing
 * jansson allocated in between may be used after end (husk_spec holds only its own copies), nor
 * freed with free(). Not nested: an inner begin leaves the outer arena in charge. Under
 * AddressSanitizer begin and end do nothing, so that overruns stay visible.
 */
void husk_json_arena_begin(struct json_arena *a);
void husk_json_arena_end(struct json_arena *a);
