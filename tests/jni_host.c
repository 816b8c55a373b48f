/* Calls the testbed's JNI functions (testbed/app/src/main/c/main_activity.c)
 * as the app's Kotlin code does, with just enough of a JNIEnv for them:
 * Java strings are C strings here, and a String[] is a {length, items} pair.
 *
 *     jni_host PYTHON_HOME [ARG...]    runs runPython(home, {ARG...})
 *
 * With JNI_HOST_REDIRECT set, redirectStdioToLogcat() runs first, and what
 * reaches liblog is printed on the original standard output as `logcat -v tag`
 * shows it ("I/native.stdout: text").  (Host liblog would print it on stderr,
 * which the redirection feeds back into itself.)  The exit status is what
 * runPython returned; an exception Java would see is printed as
 * "RuntimeException: MESSAGE" on stderr, with status 99. */
#include <android/log.h>
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    jsize length;
    char **items;
} StringArray;

static const char *thrown = NULL;

static jclass find_class(JNIEnv *env, const char *name) { return (jclass)name; }

static jint throw_new(JNIEnv *env, jclass cls, const char *message) {
    thrown = strdup(message);
    return 0;
}

static const char *get_string_utf_chars(JNIEnv *env, jstring s, jboolean *is_copy) {
    return (const char *)s;
}

static void release_string_utf_chars(JNIEnv *env, jstring s, const char *chars) {}

static jsize get_array_length(JNIEnv *env, jarray array) {
    return ((StringArray *)array)->length;
}

static jobject get_object_array_element(JNIEnv *env, jobjectArray array, jsize i) {
    return (jobject)((StringArray *)array)->items[i];
}

static FILE *logcat = NULL;
static const char SENTINEL[] = "jni_host: end of output\n";
static volatile int sentinels_seen = 0;

static void log_like_logcat(const struct __android_logger_data *data, const char *message) {
    static const char levels[] = "??VDIWEF";
    char level = data->priority >= 0 && data->priority < 8 ? levels[data->priority] : '?';
    size_t length = strlen(message);
    const char *sentinel = strstr(message, SENTINEL);
    if (sentinel) {  // everything written before it has been logged now
        length = (size_t)(sentinel - message);
    }
    if (length && message[length - 1] == '\n') {
        length--;
    }
    if (length) {
        fprintf(logcat, "%c/%s: %.*s\n", level, data->tag, (int)length, message);
        fflush(logcat);
    }
    if (sentinel) {
        __atomic_add_fetch(&sentinels_seen, 1, __ATOMIC_SEQ_CST);
    }
}

// On a device the app lives on after Python returns; here the process would
// exit before the redirection threads have passed everything to liblog.
static void wait_for_logging(void) {
    write(STDOUT_FILENO, SENTINEL, strlen(SENTINEL));
    write(STDERR_FILENO, SENTINEL, strlen(SENTINEL));
    for (int i = 0; i < 5000 && __atomic_load_n(&sentinels_seen, __ATOMIC_SEQ_CST) < 2; i++) {
        usleep(1000);
    }
}

JNIEXPORT void JNICALL Java_org_python_testbed_PythonTestRunner_redirectStdioToLogcat(
    JNIEnv *env, jobject obj);
JNIEXPORT jint JNICALL Java_org_python_testbed_PythonTestRunner_runPython(
    JNIEnv *env, jobject obj, jstring home, jobjectArray args);

int main(int argc, char **argv) {
    struct JNINativeInterface functions;
    memset(&functions, 0, sizeof functions);
    functions.FindClass = find_class;
    functions.ThrowNew = throw_new;
    functions.GetStringUTFChars = get_string_utf_chars;
    functions.ReleaseStringUTFChars = release_string_utf_chars;
    functions.GetArrayLength = get_array_length;
    functions.GetObjectArrayElement = get_object_array_element;
    JNIEnv env_value = &functions;
    JNIEnv *env = &env_value;

    if (argc < 2) {
        fprintf(stderr, "usage: jni_host PYTHON_HOME [ARG...]\n");
        return 2;
    }
    if (getenv("JNI_HOST_REDIRECT")) {
        logcat = fdopen(dup(STDOUT_FILENO), "w");
        __android_log_set_logger(log_like_logcat);
        Java_org_python_testbed_PythonTestRunner_redirectStdioToLogcat(env, NULL);
    }
    StringArray args = {argc - 2, argv + 2};
    jint status = Java_org_python_testbed_PythonTestRunner_runPython(
        env, NULL, (jstring)argv[1], (jobjectArray)&args);
    if (logcat) {
        wait_for_logging();
    }
    if (thrown) {
        fprintf(stderr, "RuntimeException: %s\n", thrown);
        return 99;
    }
    return status;
}
