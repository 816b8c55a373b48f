// JNI half of the testbed: start CPython in the app's own process.
//
// Python's sys.stdout and sys.stderr already go to logcat (CPython 3.13+ does
// that itself on Android, tags python.stdout / python.stderr).  The native
// file descriptors 1 and 2 are redirected here too, to tags native.stdout /
// native.stderr, so output from C code and from Python's startup is not lost.

#include <android/log.h>
#include <errno.h>
#include <jni.h>
#include <pthread.h>
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void throw_runtime_exception(JNIEnv *env, const char *message) {
    (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/RuntimeException"), message);
}

// --- native stdio -> logcat ---------------------------------------------------

typedef struct {
    FILE *file;
    int fd;
    android_LogPriority priority;
    const char *tag;
    int pipe[2];
} Stream;

// liblog truncates longer messages (LOGGER_ENTRY_MAX_PAYLOAD, ~4068 bytes
// and shrinking across releases): keep well below it.
#define MAX_BYTES_PER_WRITE 4000

static void *pump_to_logcat(void *arg) {
    Stream *s = arg;
    char buf[MAX_BYTES_PER_WRITE];
    ssize_t n;
    while ((n = read(s->pipe[0], buf, sizeof buf - 1)) > 0) {
        buf[n] = '\0';
        __android_log_write(s->priority, s->tag, buf);
    }
    return NULL;
}

static const char *redirect(Stream *s) {
    pthread_t thread;
    if (setvbuf(s->file, NULL, _IONBF, 0)) return "setvbuf";
    if (pipe(s->pipe)) return "pipe";
    if (dup2(s->pipe[1], s->fd) == -1) return "dup2";
    if ((errno = pthread_create(&thread, NULL, pump_to_logcat, s))) return "pthread_create";
    if ((errno = pthread_detach(thread))) return "pthread_detach";
    return NULL;
}

static Stream streams[2];

JNIEXPORT void JNICALL Java_org_python_testbed_PythonTestRunner_redirectStdioToLogcat(
    JNIEnv *env, jobject obj
) {
    Stream init[2] = {
        {stdout, STDOUT_FILENO, ANDROID_LOG_INFO, "native.stdout", {-1, -1}},
        {stderr, STDERR_FILENO, ANDROID_LOG_WARN, "native.stderr", {-1, -1}},
    };
    memcpy(streams, init, sizeof streams);
    for (int i = 0; i < 2; i++) {
        const char *failed = redirect(&streams[i]);
        if (failed) {
            char message[256];
            snprintf(message, sizeof message, "%s: %s", failed, strerror(errno));
            throw_runtime_exception(env, message);
            return;
        }
    }
}

// --- the interpreter ------------------------------------------------------------

static PyStatus set_string(JNIEnv *env, PyConfig *config, wchar_t **field, jstring value) {
    const char *utf8 = (*env)->GetStringUTFChars(env, value, NULL);
    PyStatus status = PyConfig_SetBytesString(config, field, utf8);
    (*env)->ReleaseStringUTFChars(env, value, utf8);
    return status;
}

// argv is a whole command line ("python", options..., "-m", module): Python
// parses it as its own (parse_argv), so interpreter options such as
// `-W error -bb` (regrtest's --fast-ci) take effect at startup, as they would
// on any other platform.
static PyStatus set_argv(JNIEnv *env, PyConfig *config, jobjectArray args) {
    jsize argc = (*env)->GetArrayLength(env, args);
    char **argv = calloc(argc + 1, sizeof(char *));
    jstring *strings = calloc(argc + 1, sizeof(jstring));
    if (!argv || !strings) {
        free(argv);
        free(strings);
        return PyStatus_NoMemory();
    }
    for (jsize i = 0; i < argc; i++) {
        strings[i] = (*env)->GetObjectArrayElement(env, args, i);
        argv[i] = (char *)(*env)->GetStringUTFChars(env, strings[i], NULL);
    }
    PyStatus status = PyConfig_SetBytesArgv(config, argc, argv);
    for (jsize i = 0; i < argc; i++) {
        (*env)->ReleaseStringUTFChars(env, strings[i], argv[i]);
    }
    free(argv);
    free(strings);
    return status;
}

JNIEXPORT jint JNICALL Java_org_python_testbed_PythonTestRunner_runPython(
    JNIEnv *env, jobject obj, jstring home, jobjectArray args
) {
    PyConfig config;
    PyStatus status;
    // Python's own configuration, as `python` has: options such as -E and -I
    // then mean what they mean there.
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 1;

    // argv before anything else: setting a string such as `home` first
    // pre-initialises Python without the command line, and then -E, -I and
    // -X utf8 come too late for the pre-initialisation (the C API docs say
    // PyConfig_SetBytesArgv must come first).
    status = set_argv(env, &config, args);
    if (!PyStatus_Exception(status)) {
        status = set_string(env, &config, &config.home, home);
    }
    if (!PyStatus_Exception(status)) {
        // Python's handlers: tests expect SIGPIPE and SIGXFSZ to be ignored.
        config.install_signal_handlers = 1;
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        if (PyStatus_IsExit(status)) {
            return status.exitcode;  // e.g. a bad option: Python printed why
        }
        throw_runtime_exception(env, status.err_msg ? status.err_msg : "Python failed to start");
        return 1;
    }
    return Py_RunMain();
}
