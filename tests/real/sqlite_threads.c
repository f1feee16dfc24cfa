/*
 * sqlite_threads.c: libsqlite3 from several threads, for the soak (soak.sh).
 *
 * usage: sqlite_threads DBFILE [SCALE]
 *
 * Writers share one connection opened with SQLITE_OPEN_FULLMUTEX (the
 * serialized mode: libsqlite3 takes the connection's mutex around every
 * call) and each also has a connection of its own to the same WAL
 * database (file locks, the shared page cache's mutexes, busy retries).
 * Readers query through the shared connection meanwhile.  Every mutex is
 * a pthread mutex inside libsqlite3, seen by the preload.
 *
 * The output depends only on SCALE, never on the interleaving: the rows'
 * keys are fixed, and the checksum is over the rows in key order.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WRITERS 4
#define READERS 2

static sqlite3 *shared;
static const char *dbfile;
static int rows;
static int failed;

static void
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "sqlite_threads: %s: %s\n", what,
	    db ? sqlite3_errmsg(db) : "out of memory");
	__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
}

static sqlite3 *
open_db(void)
{
	sqlite3 *db;

	if (sqlite3_open_v2(dbfile, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		die(db, "open");
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	/* No fsync per commit: the soak measures locking, not the disk. */
	sqlite3_exec(db, "pragma synchronous=off", NULL, NULL, NULL);
	return db;
}

static void
insert(sqlite3 *db, int k, int th)
{
	sqlite3_stmt *st;
	char v[32];

	snprintf(v, sizeof(v), "%d-%d", th, k * 7 % 1000);
	if (sqlite3_prepare_v2(db, "insert into t values (?, ?, ?)", -1, &st,
	    NULL) != SQLITE_OK) {
		die(db, "prepare insert");
		return;
	}
	sqlite3_bind_int(st, 1, k);
	sqlite3_bind_int(st, 2, th);
	sqlite3_bind_text(st, 3, v, -1, SQLITE_TRANSIENT);
	/* The busy timeout does not cover every case: a WAL writer may be
	 * told SQLITE_BUSY at once (another connection's checkpoint, a
	 * read snapshot that cannot be upgraded).  Retry, as applications
	 * do. */
	for (int tries = 0;; tries++) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			break;
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries == 10000) {
			die(db, "insert");
			break;
		}
		sqlite3_reset(st);
		usleep(1000);
	}
	sqlite3_finalize(st);
}

static void *
writer(void *arg)
{
	int th = (int)(long)arg;
	sqlite3 *own = open_db();

	if (!own)
		return NULL;
	for (int i = 0; i < rows; i++)
		insert(i % 2 ? own : shared, th * rows + i, th);
	sqlite3_close(own);
	return NULL;
}

static void *
reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < rows / 10; i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(shared, "select count(*), max(k) from t",
		    -1, &st, NULL) != SQLITE_OK) {
			die(shared, "prepare select");
			return NULL;
		}
		/* Busy: this count is skipped; its result is not printed. */
		int rc = sqlite3_step(st);
		if (rc != SQLITE_ROW && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			die(shared, "select");
		sqlite3_finalize(st);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t w[WRITERS], r[READERS];
	sqlite3_stmt *st;
	unsigned long long sum = 0;
	int n = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: sqlite_threads DBFILE [SCALE]\n");
		return 2;
	}
	dbfile = argv[1];
	rows = 1000 * (argc > 2 ? atoi(argv[2]) : 1);
	if (!sqlite3_threadsafe()) {
		fprintf(stderr, "sqlite_threads: libsqlite3 built without threads\n");
		return 2;
	}
	if (!(shared = open_db()))
		return 1;
	if (sqlite3_exec(shared, "pragma journal_mode=wal; create table t "
	    "(k integer primary key, th integer, v text)", NULL, NULL,
	    NULL) != SQLITE_OK) {
		die(shared, "create");
		return 1;
	}
	for (long i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer, (void *)i);
	for (long i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);

	if (sqlite3_prepare_v2(shared, "select k, th, v from t order by k", -1,
	    &st, NULL) != SQLITE_OK) {
		die(shared, "prepare final");
		return 1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 2);
		sum = sum * 1000003 + (unsigned long long)sqlite3_column_int(st, 0) *
		    31 + (unsigned long long)sqlite3_column_int(st, 1);
		for (; v && *v; v++)
			sum = sum * 131 + *v;
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(shared);
	printf("rows=%d checksum=%016llx\n", n, sum);
	return failed;
}
