/* Analytics (send): track what customers do across WhatsApp and the web, so
 * that Segment's destinations can analyse it. The program reads a
 * conversation log (examples/data/whatsapp_conversation.tsv shows the
 * format) and sends one call per line, at the time the log gives:
 *   received     track "Message Received" (the customer wrote)
 *   sent         track "Message Sent" (the business wrote)
 *   link_opened  page, for the web page the customer opened from the chat
 *   flow_screen  screen, for a screen of a WhatsApp Flow
 * The customer's phone number is the userId; message texts are not sent,
 * only their length.
 *
 * Usage: analytics LOG_FILE
 *
 * Environment:
 *   SEGMENT_WRITE_KEY  the source's write key (required)
 *   SEGMENT_REGION     us (default) or eu
 *   SEGMENT_ENDPOINT   Tracking API URL instead of the region's (a proxy,
 *                      or the mock: http://127.0.0.1:PORT)
 *
 * Exit status: 0 when every line was sent and delivered, 1 otherwise. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOSE_TIMEOUT_MS 10000

typedef struct tally {
  int delivered, dropped;
} tally;

static void on_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque) {
  tally *t = opaque;

  (void)client;
  if (segb_report_err(report) == SEGB_OK) {
    t->delivered++;
  } else {
    t->dropped++;
    fprintf(stderr, "analytics: %s dropped: %s\n",
            segb_report_message_id(report), segb_report_errstr(report));
  }
}

/* Set @name from environment variable @var when it is set; 0 on success. */
static int set_from_env(segb_config_t *conf, const char *name, const char *var,
                        int required) {
  const char *value = getenv(var);
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL || *value == '\0') {
    if (required)
      fprintf(stderr, "analytics: set %s\n", var);
    return required ? -1 : 0;
  }
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "analytics: %s: %s\n", var, err);
    return -1;
  }
  return 0;
}

static segb_client_t *new_client(tally *t) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_client_t *client = NULL;

  if (conf != NULL &&
      set_from_env(conf, "write_key", "SEGMENT_WRITE_KEY", 1) == 0 &&
      set_from_env(conf, "region", "SEGMENT_REGION", 0) == 0 &&
      set_from_env(conf, "endpoint", "SEGMENT_ENDPOINT", 0) == 0) {
    segb_config_set_delivery_cb(conf, on_report);
    segb_config_set_opaque(conf, t);
    client = segb_client_new(conf, err, sizeof err); /* takes conf */
    if (client == NULL)
      fprintf(stderr, "analytics: %s\n", err);
  }
  if (client == NULL)
    segb_config_destroy(conf);
  return client;
}

/* The message for one log entry, or NULL (with the reason in
 * segb_last_error_message()) for an unknown kind or a bad value. */
static segb_message_t *entry_message(const char *time, const char *phone,
                                     const char *kind, const char *text) {
  int track = strcmp(kind, "received") == 0 || strcmp(kind, "sent") == 0;
  int page = strcmp(kind, "link_opened") == 0;
  int screen = strcmp(kind, "flow_screen") == 0;
  segb_message_t *msg;
  int rc;

  if (!track && !page && !screen) {
    fprintf(stderr, "analytics: unknown kind \"%s\"\n", kind);
    return NULL;
  }
  msg = segb_message_new(track  ? SEGB_MSG_TRACK
                         : page ? SEGB_MSG_PAGE
                                : SEGB_MSG_SCREEN);
  if (msg == NULL)
    return NULL;
  rc = segb_message_set_string(msg, "userId", phone);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(msg, "timestamp", time);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(msg, "properties.channel", "whatsapp");
  if (rc == SEGB_OK && track) {
    rc = segb_message_set_string(
        msg, "event", kind[0] == 'r' ? "Message Received" : "Message Sent");
    if (rc == SEGB_OK)
      rc = segb_message_set_int64(msg, "properties.length",
                                  (int64_t)strlen(text));
  } else if (rc == SEGB_OK && page) {
    /* the page's name is its path: "https://example.com/pricing" is
     * "/pricing" */
    const char *host = strstr(text, "://");
    const char *path = host != NULL ? strchr(host + 3, '/') : NULL;

    rc = segb_message_set_string(msg, "name", path != NULL ? path : "/");
    if (rc == SEGB_OK)
      rc = segb_message_set_string(msg, "properties.url", text);
  } else if (rc == SEGB_OK) {
    rc = segb_message_set_string(msg, "name", text);
    if (rc == SEGB_OK)
      rc = segb_message_set_string(msg, "category", "WhatsApp Flow");
  }
  if (rc != SEGB_OK) {
    segb_message_destroy(msg);
    return NULL;
  }
  return msg;
}

/* Split @line at its tabs into @n fields (the last keeps any further tab
 * and loses its newline); 0 when it has that many. */
static int split(char *line, char **fields, int n) {
  int i;

  line[strcspn(line, "\r\n")] = '\0';
  for (i = 0; i < n; i++) {
    char *tab = i < n - 1 ? strchr(line, '\t') : NULL;

    if (tab == NULL && i < n - 1)
      return -1;
    fields[i] = line;
    if (tab != NULL) {
      *tab = '\0';
      line = tab + 1;
    }
  }
  return 0;
}

/* Enqueue one message per entry of @f; the number of lines that failed. */
static int send_log(segb_client_t *client, FILE *f, int *sent, int *pages,
                    int *screens, int *tracks) {
  char line[4096], *field[4];
  int lineno = 0, failed = 0;

  while (fgets(line, sizeof line, f) != NULL) {
    segb_message_t *msg;

    lineno++;
    if (line[0] == '#' || line[0] == '\n')
      continue;
    if (split(line, field, 4) != 0) {
      fprintf(stderr, "analytics: line %d: not 4 tab-separated fields\n",
              lineno);
      failed++;
      continue;
    }
    msg = entry_message(field[0], field[1], field[2], field[3]);
    if (msg == NULL) {
      fprintf(stderr, "analytics: line %d: %s\n", lineno,
              segb_last_error_message());
      failed++;
      continue;
    }
    *pages += segb_message_type(msg) == SEGB_MSG_PAGE;
    *screens += segb_message_type(msg) == SEGB_MSG_SCREEN;
    *tracks += segb_message_type(msg) == SEGB_MSG_TRACK;
    if (segb_client_enqueue(client, msg) != SEGB_OK) { /* takes msg */
      fprintf(stderr, "analytics: line %d: refused: %s\n", lineno,
              segb_last_error_message());
      failed++;
      continue;
    }
    (*sent)++;
  }
  return failed;
}

int main(int argc, char **argv) {
  int sent = 0, pages = 0, screens = 0, tracks = 0, failed, closed;
  tally t = {0, 0};
  segb_client_t *client;
  FILE *f;

  if (argc != 2) {
    fprintf(stderr, "usage: analytics LOG_FILE\n");
    return 1;
  }
  f = fopen(argv[1], "r");
  if (f == NULL) {
    perror(argv[1]);
    return 1;
  }
  client = new_client(&t);
  if (client == NULL) {
    fclose(f);
    return 1;
  }
  failed = send_log(client, f, &sent, &pages, &screens, &tracks);
  fclose(f);
  closed = segb_client_close(client, CLOSE_TIMEOUT_MS);
  printf("%s: %d calls sent (%d page, %d screen, %d track), %d delivered, "
         "%d dropped, %d lines failed\n",
         argv[1], sent, pages, screens, tracks, t.delivered, t.dropped, failed);
  return failed == 0 && closed == SEGB_OK && t.delivered == sent ? 0 : 1;
}
