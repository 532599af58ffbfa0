/* core/list.h: the intrusive list. */
#include "core/list.h"
#include "core/oe.h"
#include "unit/test.h"

typedef struct item {
    int v;
    oe_list_t link;
} item_t;

static void check_order(const char *file, int line, oe_list_t *head, const int *want, size_t n)
{
    size_t i = 0;
    OE_LIST_FOREACH(it, head)
    {
        if (i == n || OE_LIST_ENTRY(it, item_t, link)->v != want[i])
            oe_test_fail(file, line, "element %zu differs", i);
        i++;
    }
    if (i != n)
        oe_test_fail(file, line, "%zu elements, want %zu", i, n);
    /* and backwards */
    for (oe_list_t *it = head->prev; it != head; it = it->prev)
        if (OE_LIST_ENTRY(it, item_t, link)->v != want[--i])
            oe_test_fail(file, line, "backwards element %zu differs", i);
}
#define CHECK_ORDER(head, ...)                                                                     \
    do {                                                                                           \
        static const int w_[] = {__VA_ARGS__};                                                     \
        check_order(__FILE__, __LINE__, (head), w_, OE_ARRAY_SIZE(w_));                            \
    } while (0)

TEST(list_insert_remove_anywhere)
{
    oe_list_t head;
    item_t it[4] = {{.v = 1}, {.v = 2}, {.v = 3}, {.v = 4}};
    oe_list_init(&head);
    CHECK(oe_list_empty(&head));
    oe_list_insert_head(&head, &it[1].link);
    oe_list_insert_head(&head, &it[0].link);
    oe_list_insert_tail(&head, &it[2].link);
    oe_list_insert_tail(&head, &it[3].link);
    CHECK_ORDER(&head, 1, 2, 3, 4);
    oe_list_remove(&it[1].link); /* middle */
    CHECK_ORDER(&head, 1, 3, 4);
    oe_list_remove(&it[1].link); /* again: nothing changes */
    CHECK_ORDER(&head, 1, 3, 4);
    oe_list_remove(&it[0].link); /* first */
    oe_list_remove(&it[3].link); /* last */
    CHECK_ORDER(&head, 3);
    oe_list_remove(&it[2].link);
    CHECK(oe_list_empty(&head));
    oe_list_t lone;
    oe_list_init(&lone);
    oe_list_remove(&lone); /* never linked: no-op */
    CHECK(oe_list_empty(&lone));
}
