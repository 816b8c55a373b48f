// Plugin versions for the whole build; the app module applies them.
plugins {
    id("com.android.application") version "8.10.0" apply false
    id("org.jetbrains.kotlin.android") version "1.9.22" apply false
}
