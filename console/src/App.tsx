import { HealthPanel } from './HealthPanel.tsx'

export function App() {
  return (
    <>
      <header className="topbar">
        <h1>Stratus console</h1>
      </header>
      <main>
        <HealthPanel />
      </main>
    </>
  )
}
