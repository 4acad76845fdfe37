import { render } from 'preact';
import { App } from './App';
import { takeSessionFromUrl } from './session';
import './styles.css';

// Read (and strip) the session from the address bar before anything else can see or log it.
const session = takeSessionFromUrl();
const root = document.getElementById('app');
if (root) render(<App session={session} />, root);
