/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_STORE_STORE_SQL_H
#define FLAMESAMP_STORE_STORE_SQL_H

/*
 * The profile database's schema, version PROFILE_STORE_SCHEMA_VERSION
 * (store/profile_store.h).  README.md ("Profile database") documents every
 * column; change both, and the version, together.
 *
 * samples is WITHOUT ROWID with its primary key first by stack, so the
 * writer's upsert finds a row in one B-tree; readers that slice by time use
 * samples_bucket, and queries by function stack_frames_frame.
 */
#define PROFILE_STORE_SCHEMA_SQL                                                                   \
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"                       \
	"CREATE TABLE processes(pid INTEGER PRIMARY KEY, comm TEXT);"                              \
	"CREATE TABLE threads(tid INTEGER PRIMARY KEY, pid INTEGER NOT NULL, comm TEXT);"          \
	"CREATE TABLE frames(id INTEGER PRIMARY KEY, name TEXT NOT NULL, module TEXT, file TEXT, " \
	"line INTEGER, address INTEGER, kind TEXT NOT NULL);"                                      \
	"CREATE TABLE stacks(id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, tid INTEGER NOT NULL, " \
	"comm TEXT NOT NULL, depth INTEGER NOT NULL);"                                             \
	"CREATE TABLE stack_frames(stack_id INTEGER NOT NULL, depth INTEGER NOT NULL, "            \
	"frame_id INTEGER NOT NULL, PRIMARY KEY(stack_id, depth)) WITHOUT ROWID;"                  \
	"CREATE TABLE samples(stack_id INTEGER NOT NULL, bucket INTEGER NOT NULL, "                \
	"event TEXT NOT NULL, weight INTEGER NOT NULL, "                                           \
	"PRIMARY KEY(stack_id, bucket, event)) WITHOUT ROWID;"                                     \
	"CREATE INDEX samples_bucket ON samples(bucket);"                                          \
	"CREATE INDEX stack_frames_frame ON stack_frames(frame_id);"

#endif
