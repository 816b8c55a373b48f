/* Calls the testbed's JNI functions (testbed/app/src/main/c/main_activity.c)
 * as the app's Kotlin code does, with just enough of a JNIEnv for them:
 * Java strings are C strings here, and a String[] is a {length, items} pair.
 *
 *     jni_host PYTHON_HOME [ARG...]    runs runPython(home, {ARG...})
 *
 * With JNI_HOST_REDIRECT set, redirectStdioToLogcat() runs first.  The exit
 * status is what runPython returned; an exception Java would see is printed
 * as "RuntimeException: MESSAGE" on stderr, with status 99. */
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        Java_org_python_testbed_PythonTestRunner_redirectStdioToLogcat(env, NULL);
    }
    StringArray args = {argc - 2, argv + 2};
    jint status = Java_org_python_testbed_PythonTestRunner_runPython(
        env, NULL, (jstring)argv[1], (jobjectArray)&args);
    if (thrown) {
        fprintf(stderr, "RuntimeException: %s\n", thrown);
        return 99;
    }
    return status;
}
