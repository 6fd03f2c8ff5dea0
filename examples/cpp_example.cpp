// libsegbridge from C++17: the C API wrapped in std::unique_ptr with custom
// deleters, so that a config, a message or a client is released on every
// path, exceptions included. The ownership rules of the C API map onto
// release(): segb_client_new() takes the config when it succeeds, and
// segb_client_enqueue() always takes the message.
//
// Usage: cpp_example [USER_ID]   (default u-42)
//
// Environment:
//   SEGMENT_WRITE_KEY  the source's write key (required)
//   SEGMENT_REGION     us (default) or eu
//   SEGMENT_ENDPOINT   Tracking API URL instead of the region's (a proxy,
//                      or the mock: http://127.0.0.1:PORT)
//
// Exit status: 0 when every event was delivered, 1 otherwise.
#include <segbridge/segbridge.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

constexpr int kCloseTimeoutMs = 10000;

struct ConfigDeleter {
  void operator()(segb_config_t *conf) const noexcept {
    segb_config_destroy(conf);
  }
};
struct MessageDeleter {
  void operator()(segb_message_t *msg) const noexcept {
    segb_message_destroy(msg);
  }
};
// A client that goes out of scope is closed, waiting for its queue at most
// kCloseTimeoutMs; close it yourself (release()) to learn how that went.
struct ClientCloser {
  void operator()(segb_client_t *client) const noexcept {
    segb_client_close(client, kCloseTimeoutMs);
  }
};

using Config = std::unique_ptr<segb_config_t, ConfigDeleter>;
using Message = std::unique_ptr<segb_message_t, MessageDeleter>;
using Client = std::unique_ptr<segb_client_t, ClientCloser>;

// A library failure, with the library's explanation.
struct Error : std::runtime_error {
  explicit Error(const std::string &what) : std::runtime_error(what) {}
};

void check(int rc, const char *what) {
  if (rc != SEGB_OK)
    throw Error(std::string(what) + ": " + segb_last_error_message());
}

// Fates of the events, counted on the client's dispatcher thread and read
// on the main one.
struct Fates {
  std::atomic<int> delivered{0}, dropped{0};
};

void on_report(segb_client_t *, const segb_report_t *report, void *opaque) {
  auto *fates = static_cast<Fates *>(opaque);
  if (segb_report_err(report) == SEGB_OK) {
    ++fates->delivered;
  } else {
    ++fates->dropped;
    std::fprintf(stderr, "cpp_example: %s dropped: %s\n",
                 segb_report_message_id(report), segb_report_errstr(report));
  }
}

Config config_from_env() {
  Config conf(segb_config_new());
  if (!conf)
    throw std::bad_alloc();
  const struct {
    const char *name, *var;
    bool required;
  } settings[] = {{"write_key", "SEGMENT_WRITE_KEY", true},
                  {"region", "SEGMENT_REGION", false},
                  {"endpoint", "SEGMENT_ENDPOINT", false}};
  for (const auto &s : settings) {
    const char *value = std::getenv(s.var);
    if (value == nullptr || *value == '\0') {
      if (s.required)
        throw Error(std::string("set ") + s.var);
      continue;
    }
    char err[SEGB_ERRSTR_SIZE];
    if (segb_config_set(conf.get(), s.name, value, err, sizeof err) != SEGB_OK)
      throw Error(std::string(s.var) + ": " + err);
  }
  return conf;
}

Client make_client(Config conf, Fates &fates) {
  segb_config_set_delivery_cb(conf.get(), on_report);
  segb_config_set_opaque(conf.get(), &fates);
  char err[SEGB_ERRSTR_SIZE];
  Client client(segb_client_new(conf.get(), err, sizeof err));
  if (!client)
    throw Error(err); // conf is still ours: its deleter frees it
  conf.release();     // the client owns it now
  return client;
}

// A track event built field by field; enqueue() hands it to the client.
Message track(const std::string &user_id, const std::string &event) {
  Message msg(segb_message_new(SEGB_MSG_TRACK));
  if (!msg)
    throw Error(segb_last_error_message());
  check(segb_message_set_string(msg.get(), "userId", user_id.c_str()),
        "userId");
  check(segb_message_set_string(msg.get(), "event", event.c_str()), "event");
  return msg;
}

void enqueue(const Client &client, Message msg) {
  // enqueue takes the message whether it accepts it or not
  check(segb_client_enqueue(client.get(), msg.release()), "enqueue");
}

} // namespace

int main(int argc, char **argv) {
  const std::string user_id = argc > 1 ? argv[1] : "u-42";
  Fates fates;
  try {
    Client client = make_client(config_from_env(), fates);

    check(segb_identify(client.get(), user_id.c_str(), nullptr,
                        R"({"name":"Ada Lovelace","plan":"pro"})"),
          "identify");
    Message msg = track(user_id, "Lead Qualified");
    check(segb_message_set_int64(msg.get(), "properties.score", 85), "score");
    check(segb_message_set_string(msg.get(), "properties.source", "WhatsApp"),
          "source");
    enqueue(client, std::move(msg));

    int closed = segb_client_close(client.release(), kCloseTimeoutMs);
    std::printf("C++: %d of 2 delivered, %d dropped (%s)\n",
                fates.delivered.load(), fates.dropped.load(),
                segb_err_name(closed));
    return closed == SEGB_OK && fates.delivered == 2 ? 0 : 1;
  } catch (const std::exception &e) {
    // the client, if any, was closed by its deleter on the way here
    std::fprintf(stderr, "cpp_example: %s\n", e.what());
    return 1;
  }
}
