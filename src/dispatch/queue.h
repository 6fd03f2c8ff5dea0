/* A FIFO of sealed messages, linked through the messages themselves so that
 * queueing allocates nothing. It counts messages and serialized bytes. */
#ifndef SBI_DISPATCH_QUEUE_H
#define SBI_DISPATCH_QUEUE_H

#include <stddef.h>

#include "message/message.h"

typedef struct sbi_queue {
  segb_message_t *head;
  segb_message_t *tail;
  size_t count;
  size_t bytes; /* sum of the messages' serialized sizes */
} sbi_queue;

static inline void sbi_queue_push(sbi_queue *q, segb_message_t *m) {
  m->next = NULL;
  if (q->tail != NULL)
    q->tail->next = m;
  else
    q->head = m;
  q->tail = m;
  q->count++;
  q->bytes += m->json.len;
}

static inline segb_message_t *sbi_queue_pop(sbi_queue *q) {
  segb_message_t *m = q->head;

  if (m == NULL)
    return NULL;
  q->head = m->next;
  if (q->head == NULL)
    q->tail = NULL;
  q->count--;
  q->bytes -= m->json.len;
  m->next = NULL;
  return m;
}

/* Take @m, which follows @prev (NULL: @m is the head), out of @q. */
static inline void sbi_queue_unlink(sbi_queue *q, segb_message_t *prev,
                                    segb_message_t *m) {
  if (prev != NULL)
    prev->next = m->next;
  else
    q->head = m->next;
  if (q->tail == m)
    q->tail = prev;
  q->count--;
  q->bytes -= m->json.len;
  m->next = NULL;
}

/* Move every message of @front, in order, before those of @q. */
static inline void sbi_queue_prepend(sbi_queue *q, sbi_queue *front) {
  if (front->head == NULL)
    return;
  front->tail->next = q->head;
  if (q->tail == NULL)
    q->tail = front->tail;
  q->head = front->head;
  q->count += front->count;
  q->bytes += front->bytes;
  *front = (sbi_queue){0};
}

#endif
