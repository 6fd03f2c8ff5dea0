/**
 * @file
 * libsegbridge - a C client for Segment: send events to the Tracking API,
 * read the Public and Profile APIs, verify inbound webhooks.
 *
 * This umbrella header includes every public header of the library.
 */
#ifndef SEGBRIDGE_SEGBRIDGE_H
#define SEGBRIDGE_SEGBRIDGE_H

#include <segbridge/export.h>
#include <segbridge/version.h>
#include <segbridge/error.h>
#include <segbridge/config.h>
#include <segbridge/json.h>
#include <segbridge/message.h>
#include <segbridge/client.h>
#include <segbridge/api.h>
#include <segbridge/webhook.h>

#endif /* SEGBRIDGE_SEGBRIDGE_H */
