/* Qualification Agent (receive): read a customer's engagement history from
 * Segment's Profile API, its traits and its most recent events, and turn it
 * into a lead score from 0 to 100. The scoring rules are an illustration:
 * the point is reading the profile.
 *
 * Usage: qualification_agent [IDENTIFIER]
 *   IDENTIFIER is type:value: user_id:u-42, email:jane@example.com (the
 *   default), anonymous_id:..., phone_number:+15555550123
 *
 * Environment:
 *   SEGMENT_PROFILE_TOKEN     the Unify space's access token (required)
 *   SEGMENT_SPACE_ID          the Unify space ID, spa_... (required)
 *   SEGMENT_REGION            us (default) or eu
 *   SEGMENT_PROFILE_ENDPOINT  Profile API URL instead of the region's (the
 *                             mock: http://127.0.0.1:PORT)
 *
 * Exit status: 0 when the lead was scored, 2 when there is no such profile,
 * 1 on any other failure. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many of the newest events count. */
#define RECENT_EVENTS "50"

/* Set @name from environment variable @var when it is set; 0 on success. */
static int set_from_env(segb_config_t *conf, const char *name, const char *var,
                        int required) {
  const char *value = getenv(var);
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL || *value == '\0') {
    if (required)
      fprintf(stderr, "qualification_agent: set %s\n", var);
    return required ? -1 : 0;
  }
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "qualification_agent: %s: %s\n", var, err);
    return -1;
  }
  return 0;
}

/* A Profile API reader configured from the environment, or NULL. */
static segb_reader_t *new_reader(void) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_reader_t *reader;

  if (conf == NULL) {
    fprintf(stderr, "qualification_agent: out of memory\n");
    return NULL;
  }
  if (set_from_env(conf, "profile_api.token", "SEGMENT_PROFILE_TOKEN", 1) ||
      set_from_env(conf, "profile_api.space_id", "SEGMENT_SPACE_ID", 1) ||
      set_from_env(conf, "region", "SEGMENT_REGION", 0) ||
      set_from_env(conf, "profile_api.endpoint", "SEGMENT_PROFILE_ENDPOINT",
                   0)) {
    segb_config_destroy(conf);
    return NULL;
  }
  reader = segb_reader_new(conf, err, sizeof err); /* takes conf */
  if (reader == NULL) {
    fprintf(stderr, "qualification_agent: %s\n", err);
    segb_config_destroy(conf);
  }
  return reader;
}

/* Points for who the lead is: its plan, its role, its company. */
static int score_traits(const segb_json_t *traits) {
  static const char *const senior[] = {"CEO",  "CTO",      "CFO",    "VP",
                                       "Head", "Director", "Founder"};
  const char *plan = segb_json_get_string(traits, "plan");
  const char *title = segb_json_get_string(traits, "title");
  int newsletter = 0, points = 0;
  size_t i;

  if (plan != NULL &&
      (strcmp(plan, "pro") == 0 || strcmp(plan, "enterprise") == 0))
    points += 20;
  for (i = 0; title != NULL && i < sizeof senior / sizeof senior[0]; i++)
    if (strstr(title, senior[i]) != NULL) {
      points += 15;
      break;
    }
  if (segb_json_get_string(traits, "company") != NULL)
    points += 10;
  if (segb_json_bool(segb_json_get(traits, "newsletter"), &newsletter) ==
          SEGB_OK &&
      newsletter)
    points += 5;
  return points;
}

/* Points for what the lead did lately: a message is worth more than a page
 * view; at most 50. */
static int score_events(const segb_json_t *events, int *messages, int *pages) {
  const segb_json_t *e;
  int points = 0;

  for (e = segb_json_first(events); e != NULL; e = segb_json_next(e)) {
    const char *name = segb_json_get_string(e, "event");

    if (name == NULL)
      continue;
    if (strcmp(name, "Message Sent") == 0) {
      (*messages)++;
      points += 2;
    } else if (strcmp(name, "Page Viewed") == 0) {
      (*pages)++;
      points += 1;
    }
  }
  return points < 50 ? points : 50;
}

/* Read one kind of data of @id; SEGB_OK with a result, or why not. */
static int read_profile(segb_reader_t *reader, int what, const char *id,
                        const char *const *params, segb_result_t **out) {
  int rc = segb_profile_get(reader, what, id, params, NULL, out);

  if (rc == SEGB_ERR_NOT_FOUND)
    fprintf(stderr, "qualification_agent: no profile %s\n", id);
  else if (rc != SEGB_OK)
    fprintf(stderr, "qualification_agent: reading %s: %s\n", id,
            segb_last_error_message());
  return rc;
}

int main(int argc, char **argv) {
  /* the Profile API pages traits 10 at a time unless asked for more */
  static const char *const all_traits[] = {"limit", "200", NULL};
  static const char *const recent[] = {"limit", RECENT_EVENTS, NULL};
  const char *id = argc > 1 ? argv[1] : "email:jane@example.com";
  segb_result_t *traits = NULL, *events = NULL;
  int rc, trait_points, event_points, messages = 0, pages = 0;
  segb_reader_t *reader = new_reader();

  if (reader == NULL)
    return 1;
  rc = read_profile(reader, SEGB_PROFILE_TRAITS, id, all_traits, &traits);
  if (rc == SEGB_OK)
    rc = read_profile(reader, SEGB_PROFILE_EVENTS, id, recent, &events);
  if (rc == SEGB_OK) {
    const segb_json_t *t = segb_result_data(traits);
    const char *name = segb_json_get_string(t, "name");
    int score;

    trait_points = score_traits(t);
    event_points = score_events(segb_result_data(events), &messages, &pages);
    score = trait_points + event_points;
    printf("%s (%s): %zu traits, %zu recent events (%d messages, %d page "
           "views)\n",
           id, name != NULL ? name : "no name", segb_json_count(t),
           segb_json_count(segb_result_data(events)), messages, pages);
    printf("lead score %d/100 (traits %d, engagement %d): %s\n",
           score > 100 ? 100 : score, trait_points, event_points,
           score >= 70 ? "qualified" : "nurture");
  }
  segb_result_destroy(events);
  segb_result_destroy(traits);
  segb_reader_destroy(reader);
  return rc == SEGB_OK ? 0 : rc == SEGB_ERR_NOT_FOUND ? 2 : 1;
}
