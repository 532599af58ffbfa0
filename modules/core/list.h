/*
 * An intrusive doubly-linked list (nginx's ngx_queue_t, libuv's queue.h): a node embedded in each
 * element, a circular list around a head node, so insertion and removal are O(1), allocate
 * nothing and cannot fail. An element finds its struct with OE_LIST_ENTRY.
 *
 *     oe_list_t waiting;                       // head, oe_list_init'ed
 *     oe_list_insert_head(&waiting, &q->link);
 *     OE_LIST_FOREACH(it, &waiting) { query_t *q = OE_LIST_ENTRY(it, query_t, link); ... }
 *     oe_list_remove(&q->link);                // a removed or never linked (init'ed) node: no-op
 */
#ifndef OE_CORE_LIST_H
#define OE_CORE_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct oe_list {
    struct oe_list *prev, *next;
} oe_list_t;

/* An empty list, or a node that belongs to none. */
static inline void oe_list_init(oe_list_t *n)
{
    n->prev = n->next = n;
}

static inline bool oe_list_empty(const oe_list_t *head)
{
    return head->next == head;
}

static inline void oe_list_insert_head(oe_list_t *head, oe_list_t *n)
{
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
}

static inline void oe_list_insert_tail(oe_list_t *head, oe_list_t *n)
{
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

/* Unlinks n and leaves it as a list of its own, so removing it again changes nothing. */
static inline void oe_list_remove(oe_list_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    oe_list_init(n);
}

#define OE_LIST_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))
/* Iterates over a list that the body does not change (use a saved next pointer to remove). */
#define OE_LIST_FOREACH(it, head) for (oe_list_t *it = (head)->next; it != (head); it = it->next)

#endif
